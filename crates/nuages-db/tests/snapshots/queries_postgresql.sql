-- aggregate
SELECT COUNT(*) AS "n", AVG("bookstore_book"."price") AS "avg_price" FROM "bookstore_book";
-- params: []

-- annotate_count_having
SELECT "bookstore_author"."id", "bookstore_author"."name", "bookstore_author"."email", "bookstore_author"."birth_date", COUNT("bookstore_book"."id") AS "n" FROM "bookstore_author" LEFT JOIN "bookstore_book" ON "bookstore_author"."id" = "bookstore_book"."author_id" GROUP BY "bookstore_author"."id" HAVING COUNT("bookstore_book"."id") > $1 ORDER BY "n" DESC;
-- params: [Int(1)]

-- having_two_conditions
SELECT "bookstore_author"."id", "bookstore_author"."name", "bookstore_author"."email", "bookstore_author"."birth_date", COUNT("bookstore_book"."id") AS "n", SUM("bookstore_book"."price") AS "total" FROM "bookstore_author" LEFT JOIN "bookstore_book" ON "bookstore_author"."id" = "bookstore_book"."author_id" GROUP BY "bookstore_author"."id" HAVING (COUNT("bookstore_book"."id") > $1 AND SUM("bookstore_book"."price") < $2) ORDER BY "bookstore_author"."id" ASC;
-- params: [Int(1), Decimal(100)]

-- values_annotate_unordered
SELECT "bookstore_book"."publisher_id", COUNT("bookstore_book"."id") AS "n", SUM("bookstore_book"."price") AS "total" FROM "bookstore_book" GROUP BY "bookstore_book"."publisher_id";
-- params: []

-- aggregate_filter
SELECT "bookstore_author"."id", "bookstore_author"."name", "bookstore_author"."email", "bookstore_author"."birth_date", COUNT("bookstore_book"."id") FILTER (WHERE "bookstore_book"."rating" >= $1) AS "good" FROM "bookstore_author" LEFT JOIN "bookstore_book" ON "bookstore_author"."id" = "bookstore_book"."author_id" GROUP BY "bookstore_author"."id" ORDER BY "bookstore_author"."id" ASC;
-- params: [Int(4)]

-- count_grouped
SELECT COUNT(*) FROM (SELECT "bookstore_book"."publisher_id" FROM "bookstore_book" GROUP BY "bookstore_book"."publisher_id") AS "subquery";
-- params: []

-- annotate_exists
SELECT "bookstore_author"."id", EXISTS(SELECT 1 AS "a" FROM "bookstore_book" AS "U0" WHERE ("U0"."author_id" = "bookstore_author"."id" AND "U0"."price" < $1) LIMIT $2) AS "has_cheap" FROM "bookstore_author" ORDER BY "bookstore_author"."id" ASC;
-- params: [Decimal(10), Int(1)]

-- annotate_latest_subquery
SELECT "bookstore_author"."id", "bookstore_author"."name", "bookstore_author"."email", "bookstore_author"."birth_date", (SELECT "U0"."title" FROM "bookstore_book" AS "U0" WHERE "U0"."author_id" = "bookstore_author"."id" ORDER BY "U0"."published" DESC LIMIT $1) AS "latest" FROM "bookstore_author";
-- params: [Int(1)]

-- filter_in_subquery
SELECT "bookstore_book"."id", "bookstore_book"."title", "bookstore_book"."isbn", "bookstore_book"."price", "bookstore_book"."rating", "bookstore_book"."published", "bookstore_book"."in_print", "bookstore_book"."uid", "bookstore_book"."metadata", "bookstore_book"."summary", "bookstore_book"."duration", "bookstore_book"."author_id", "bookstore_book"."parent_id", "bookstore_book"."publisher_id" FROM "bookstore_book" WHERE "bookstore_book"."author_id" IN (SELECT "U0"."id" FROM "bookstore_author" AS "U0" WHERE "U0"."name"::text LIKE $1);
-- params: [Text("A%")]

-- filter_not_exists
SELECT "bookstore_author"."id", "bookstore_author"."name", "bookstore_author"."email", "bookstore_author"."birth_date" FROM "bookstore_author" WHERE NOT EXISTS(SELECT 1 AS "a" FROM "bookstore_book" AS "U0" WHERE "U0"."author_id" = "bookstore_author"."id" LIMIT $1);
-- params: [Int(1)]

-- union_ordered
SELECT "bookstore_genre"."id" AS "col1", "bookstore_genre"."name" AS "col2" FROM "bookstore_genre" WHERE "bookstore_genre"."name"::text LIKE $1 UNION (SELECT "bookstore_genre"."id" AS "col1", "bookstore_genre"."name" AS "col2" FROM "bookstore_genre" WHERE "bookstore_genre"."name"::text LIKE $2) ORDER BY "col2" ASC;
-- params: [Text("F%"), Text("H%")]

-- difference_values_sliced
SELECT "bookstore_genre"."name" AS "name" FROM "bookstore_genre" EXCEPT (SELECT "bookstore_genre"."name" AS "name" FROM "bookstore_genre" WHERE UPPER("bookstore_genre"."name"::text) LIKE UPPER($1)) ORDER BY 1 ASC LIMIT $2;
-- params: [Text("%x%"), Int(5)]

-- window_rank_partition
SELECT "bookstore_book"."id", "bookstore_book"."title", "bookstore_book"."isbn", "bookstore_book"."price", "bookstore_book"."rating", "bookstore_book"."published", "bookstore_book"."in_print", "bookstore_book"."uid", "bookstore_book"."metadata", "bookstore_book"."summary", "bookstore_book"."duration", "bookstore_book"."author_id", "bookstore_book"."parent_id", "bookstore_book"."publisher_id", RANK() OVER (PARTITION BY "bookstore_book"."publisher_id" ORDER BY "bookstore_book"."rating" DESC) AS "rank", DENSE_RANK() OVER (ORDER BY "bookstore_book"."price" DESC NULLS LAST) AS "dense", ROW_NUMBER() OVER () AS "row" FROM "bookstore_book";
-- params: []

-- window_frames
SELECT "bookstore_book"."id", "bookstore_book"."title", "bookstore_book"."isbn", "bookstore_book"."price", "bookstore_book"."rating", "bookstore_book"."published", "bookstore_book"."in_print", "bookstore_book"."uid", "bookstore_book"."metadata", "bookstore_book"."summary", "bookstore_book"."duration", "bookstore_book"."author_id", "bookstore_book"."parent_id", "bookstore_book"."publisher_id", SUM("bookstore_book"."price") OVER (ORDER BY "bookstore_book"."published" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "running", AVG("bookstore_book"."rating") OVER (ORDER BY "bookstore_book"."rating" RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS "near", LAG("bookstore_book"."price", $1::integer) OVER (ORDER BY "bookstore_book"."published") AS "previous" FROM "bookstore_book";
-- params: [Int(2)]

-- window_filter_qualify
SELECT * FROM (SELECT "bookstore_book"."id" AS "col1", "bookstore_book"."title" AS "col2", "bookstore_book"."isbn" AS "col3", "bookstore_book"."price" AS "col4", "bookstore_book"."rating" AS "col5", "bookstore_book"."published" AS "col6", "bookstore_book"."in_print" AS "col7", "bookstore_book"."uid" AS "col8", "bookstore_book"."metadata" AS "col9", "bookstore_book"."summary" AS "col10", "bookstore_book"."duration" AS "col11", "bookstore_book"."author_id" AS "col12", "bookstore_book"."parent_id" AS "col13", "bookstore_book"."publisher_id" AS "col14", RANK() OVER (PARTITION BY "bookstore_book"."publisher_id" ORDER BY "bookstore_book"."rating" DESC) AS "rank" FROM "bookstore_book" WHERE "bookstore_book"."in_print" = $1 ORDER BY "bookstore_book"."title" ASC) AS "qualify" WHERE "rank" = $2 ORDER BY "col2" ASC LIMIT $3;
-- params: [Bool(true), Int(1), Int(10)]

-- window_filter_masked
SELECT "title" FROM (SELECT * FROM (SELECT "bookstore_book"."title" AS "title", RANK() OVER (PARTITION BY "bookstore_book"."publisher_id" ORDER BY "bookstore_book"."rating" DESC) AS "qual0" FROM "bookstore_book") AS "qualify" WHERE "qual0" <= $1) AS "qualify_mask";
-- params: [Int(3)]

-- window_filter_count
SELECT COUNT(*) AS "__count" FROM (SELECT * FROM (SELECT "bookstore_book"."id" AS "col1", "bookstore_book"."title" AS "col2", "bookstore_book"."isbn" AS "col3", "bookstore_book"."price" AS "col4", "bookstore_book"."rating" AS "col5", "bookstore_book"."published" AS "col6", "bookstore_book"."in_print" AS "col7", "bookstore_book"."uid" AS "col8", "bookstore_book"."metadata" AS "col9", "bookstore_book"."summary" AS "col10", "bookstore_book"."duration" AS "col11", "bookstore_book"."author_id" AS "col12", "bookstore_book"."parent_id" AS "col13", "bookstore_book"."publisher_id" AS "col14", RANK() OVER (PARTITION BY "bookstore_book"."publisher_id" ORDER BY "bookstore_book"."rating" DESC) AS "rank" FROM "bookstore_book") AS "qualify" WHERE "rank" = $1) AS "qualify_mask";
-- params: [Int(1)]

