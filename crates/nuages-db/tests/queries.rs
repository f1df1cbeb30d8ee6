//! QuerySet evaluation, instances and bulk operations on every test database.

use chrono::{DateTime, Utc};
use futures::StreamExt;
use nuages_db::models::instance::{ModelInstance, SaveOptions};
use nuages_db::models::manager::Manager;
use nuages_db::models::model::ModelRow;
use nuages_db::query::{BulkCreateOptions, F, Q};
use nuages_db::{schema, testing, transaction, DbError, Field, FieldType, Model, ModelMeta, Value};
use rust_decimal::Decimal;

static FIELDS: [Field; 5] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(50),
    Field::new("qty", FieldType::IntegerField),
    {
        let mut f = Field::new("price", FieldType::DecimalField);
        f.max_digits = Some(6);
        f.decimal_places = Some(2);
        f
    },
    {
        let mut f = Field::new("created", FieldType::DateTimeField);
        f.auto_now_add = true;
        f
    },
];
static META: ModelMeta = ModelMeta::new("shop", "Item", "item", "shop_item", &FIELDS);

#[derive(Debug, Clone, Default, PartialEq)]
struct Item {
    id: i64,
    name: String,
    qty: i32,
    price: Decimal,
    created: Option<DateTime<Utc>>,
}

impl Model for Item {
    fn meta() -> &'static ModelMeta {
        &META
    }
    fn from_db(mut row: ModelRow) -> nuages_db::Result<Self> {
        Ok(Item {
            id: row.next()?,
            name: row.next()?,
            qty: row.next()?,
            price: row.next()?,
            created: row.next()?,
        })
    }
    fn get_field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "id" => Value::Int(self.id),
            "name" => Value::Text(self.name.clone()),
            "qty" => Value::Int(self.qty.into()),
            "price" => Value::Decimal(self.price),
            "created" => self.created.map(Value::DateTime).unwrap_or(Value::Null),
            _ => return None,
        })
    }
    fn set_field(&mut self, name: &str, value: Value) -> nuages_db::Result<()> {
        use nuages_db::FromValue;
        match name {
            "id" => self.id = i64::from_value(value)?,
            "name" => self.name = String::from_value(value)?,
            "qty" => self.qty = i32::from_value(value)?,
            "price" => self.price = Decimal::from_value(value)?,
            "created" => self.created = Option::from_value(value)?,
            _ => {
                return Err(DbError::FieldDoesNotExist(format!(
                    "Item has no field named '{name}'"
                )))
            }
        }
        Ok(())
    }
}

fn item(name: &str, qty: i32, price: &str) -> Item {
    Item {
        name: name.into(),
        qty,
        price: price.parse().unwrap(),
        ..Default::default()
    }
}

#[tokio::test]
async fn instances_querysets_and_bulk_operations() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        schema::create_models(alias, &[&META]).await.unwrap();
        let objects = || Item::objects().using(alias);

        // create / save / refresh
        let a = objects().create(item("apple", 3, "1.50")).await.unwrap();
        assert!(a.id > 0, "{vendor}: create sets the pk");
        assert!(a.created.is_some(), "{vendor}: auto_now_add");
        let mut b = item("banana", 5, "0.25");
        b.save_with(SaveOptions {
            using: Some(alias.into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert!(b.id > a.id);
        b.qty = 7;
        b.save_with(SaveOptions {
            using: Some(alias.into()),
            update_fields: Some(vec!["qty".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
        let fetched = objects().get(Q::lookup("pk", b.id)).await.unwrap();
        assert_eq!(
            (fetched.qty, fetched.price.to_string()),
            (7, "0.25".to_owned()),
            "{vendor}"
        );

        // get errors with Django's messages
        let err = objects().get(Q::lookup("name", "cherry")).await.unwrap_err();
        assert_eq!(err.to_string(), "Item matching query does not exist.");
        let err = objects().get(Q::new()).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "get() returned more than one Item -- it returned 2!"
        );

        // bulk_create sets pks where the backend returns them
        let made = objects()
            .bulk_create(
                vec![item("cherry", 1, "3.00"), item("date", 0, "9.99")],
                BulkCreateOptions::default(),
            )
            .await
            .unwrap();
        if db.vendor != nuages_db::Vendor::MySql {
            assert!(made.iter().all(|m| m.id > 0), "{vendor}: bulk_create pks");
        }
        assert_eq!(objects().count().await.unwrap(), 4, "{vendor}");

        // update with F, values, first/last, exists
        let n = objects()
            .filter(Q::lookup("qty__gte", 3))
            .update([("qty", F::new("qty") * 2 + 1)])
            .await
            .unwrap();
        assert_eq!(n, 2, "{vendor}");
        let qtys = objects()
            .order_by(["name"])
            .values_list(["qty"], true, false)
            .fetch_flat()
            .await
            .unwrap();
        assert_eq!(
            qtys,
            vec![Value::Int(7), Value::Int(15), Value::Int(1), Value::Int(0)],
            "{vendor}"
        );
        let rows = objects()
            .filter(Q::lookup("name", "apple"))
            .values(["name", "price"])
            .fetch()
            .await
            .unwrap();
        assert_eq!(
            rows[0].get_by_name("price"),
            Some(&Value::Decimal("1.50".parse().unwrap())),
            "{vendor}"
        );
        assert_eq!(
            objects().order_by(["qty"]).first().await.unwrap().unwrap().name,
            "date"
        );
        assert_eq!(
            objects().order_by(["qty"]).last().await.unwrap().unwrap().name,
            "banana"
        );
        assert!(objects()
            .filter(Q::lookup("name__startswith", "ch"))
            .exists()
            .await
            .unwrap());
        assert!(!objects()
            .filter(Q::lookup("pk__in", Vec::<i64>::new()))
            .exists()
            .await
            .unwrap());

        // bulk_update, get_or_create, update_or_create
        let mut all = objects().order_by(["pk"]).fetch().await.unwrap();
        for o in all.iter_mut() {
            o.qty += 100;
        }
        assert_eq!(objects().bulk_update(&all, &["qty"], None).await.unwrap(), 4);
        let (c, created) = objects()
            .get_or_create(Q::lookup("name", "cherry"), vec![])
            .await
            .unwrap();
        assert!(!created && c.qty == 101, "{vendor}");
        let (e, created) = objects()
            .get_or_create(Q::lookup("name", "elder"), vec![("price".into(), Value::Int(2))])
            .await
            .unwrap();
        assert!(created && e.id > 0 && e.price == Decimal::from(2), "{vendor}");
        let (e2, created) = objects()
            .update_or_create(Q::lookup("name", "elder"), vec![("qty".into(), Value::Int(42))])
            .await
            .unwrap();
        assert!(!created && e2.id == e.id && e2.qty == 42, "{vendor}");

        // transforms render valid SQL with Django's numbering on every backend
        let when = DateTime::parse_from_rfc3339("2000-01-01T12:34:56Z")
            .unwrap()
            .with_timezone(&Utc);
        let other = DateTime::parse_from_rfc3339("2010-06-15T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        objects().update([("created", other)]).await.unwrap();
        objects()
            .filter(Q::lookup("name", "apple"))
            .update([("created", when)])
            .await
            .unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        for (path, v) in [
            ("created__year", Value::Int(2000)),
            ("created__iso_year", Value::Int(1999)),
            ("created__month", Value::Int(1)),
            ("created__day", Value::Int(1)),
            ("created__week", Value::Int(52)),
            ("created__week_day", Value::Int(7)),
            ("created__iso_week_day", Value::Int(6)),
            ("created__quarter", Value::Int(1)),
            ("created__hour", Value::Int(12)),
            ("created__minute", Value::Int(34)),
            ("created__second", Value::Int(56)),
            ("created__date", Value::Date(day)),
            ("created__date__year__lte", Value::Int(2000)),
            ("created__month__lt", Value::Int(2)),
        ] {
            let names = objects()
                .filter(Q::lookup(path, v))
                .values_list(["name"], true, false)
                .fetch_flat()
                .await;
            assert_eq!(
                names.unwrap(),
                vec![Value::Text("apple".into())],
                "{vendor}: {path}"
            );
        }
        let years = objects()
            .filter(Q::lookup("name", "apple"))
            .values(["created__year", "created__date"])
            .fetch()
            .await
            .unwrap();
        assert_eq!(
            years[0].values(),
            &[Value::Int(2000), Value::Date(day)],
            "{vendor}"
        );

        // raw() maps columns to fields
        let table = if db.vendor == nuages_db::Vendor::MySql {
            "`shop_item`"
        } else {
            "\"shop_item\""
        };
        let raw = objects().raw(
            format!("SELECT id, name, price FROM {table} WHERE qty >= 100 ORDER BY id"),
            vec![],
        );
        let got = raw.fetch().await.unwrap();
        assert_eq!(got.len(), 4, "{vendor}");
        assert_eq!(
            (got[0].name.as_str(), got[0].qty),
            ("apple", 0),
            "{vendor}: qty deferred"
        );

        // explain, in_bulk, contains, latest/earliest
        assert!(
            !objects()
                .filter(Q::lookup("qty__gt", 1))
                .explain()
                .await
                .unwrap()
                .is_empty(),
            "{vendor}"
        );
        // explain(format=, **options): what each backend takes, Django's ValueErrors.
        let msg = |r: Result<String, DbError>| r.unwrap_err().to_string();
        let explain = |format: Option<&'static str>, options: &'static [(&'static str, bool)]| async move {
            objects()
                .filter(Q::lookup("qty__gt", 1))
                .explain_with(format, options)
                .await
        };
        assert_eq!(
            msg(explain(None, &[("a b", true)]).await),
            "Invalid option name: 'a b'."
        );
        match db.vendor {
            nuages_db::Vendor::Sqlite => {
                assert_eq!(
                    msg(explain(Some("json"), &[]).await),
                    "JSON is not a recognized format. SQLite does not support any formats."
                );
                assert_eq!(
                    msg(explain(None, &[("analyze", true), ("costs", false)]).await),
                    "Unknown options: analyze, costs"
                );
            }
            nuages_db::Vendor::Postgres => {
                let plan = explain(Some("json"), &[("analyze", true), ("costs", false)])
                    .await
                    .unwrap();
                let parsed: serde_json::Value = serde_json::from_str(&plan).expect("a JSON plan");
                assert!(parsed[0]["Plan"]["Actual Rows"].is_number(), "{plan}");
                assert!(parsed[0]["Plan"].get("Total Cost").is_none(), "{plan}");
                assert!(explain(Some("yaml"), &[]).await.unwrap().contains("Plan:"));
                assert_eq!(
                    msg(explain(Some("toml"), &[]).await),
                    "TOML is not a recognized format. Allowed formats: JSON, TEXT, XML, YAML"
                );
                assert_eq!(
                    msg(explain(None, &[("nope", true)]).await),
                    "Unknown options: NOPE"
                );
            }
            nuages_db::Vendor::MySql => {
                let plan = explain(Some("json"), &[]).await.unwrap();
                // MySQL returns the JSON plan as text, which Django's json.dumps quotes.
                let text: String = serde_json::from_str(&plan).expect("a JSON string");
                assert!(text.contains("query_block"), "{plan}");
                assert!(!explain(None, &[("analyze", true)]).await.unwrap().is_empty());
                assert_eq!(
                    msg(explain(None, &[("costs", true)]).await),
                    "Unknown options: costs"
                );
            }
        }
        let bulk = objects()
            .in_bulk(Some(vec![Value::Int(a.id), Value::Int(-1)]))
            .await
            .unwrap();
        assert_eq!(bulk.len(), 1);
        assert!(objects().contains(&a).await.unwrap());
        assert_eq!(objects().latest(&["qty"]).await.unwrap().name, "banana");
        assert_eq!(objects().earliest(&["qty", "name"]).await.unwrap().name, "elder");
        let err = objects().latest::<&str>(&[]).await.unwrap_err();
        assert!(err.to_string().starts_with("earliest() and latest() require"));

        // iterator streams every row
        let streamed: Vec<Item> = objects()
            .order_by(["pk"])
            .iterator(2)
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
            .await;
        assert_eq!(streamed.len(), 5);

        // regex/iregex in the server's own syntax (MariaDB's REGEXP, MySQL 8's
        // REGEXP_LIKE): case-sensitive and not.
        let regex = |lookup: &'static str, pattern: &'static str| async move {
            objects().filter(Q::lookup(lookup, pattern)).count().await
        };
        assert_eq!(regex("name__regex", "^b.n").await.unwrap(), 1, "{vendor}");
        assert_eq!(regex("name__regex", "^B.N").await.unwrap(), 0, "{vendor}");
        assert_eq!(regex("name__iregex", "^B.N").await.unwrap(), 1, "{vendor}");

        // select_for_update needs a transaction where the backend supports it
        if db.vendor != nuages_db::Vendor::Sqlite {
            let err = objects()
                .select_for_update(false, false, &[], false)
                .fetch()
                .await
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                "select_for_update cannot be used outside of a transaction."
            );
            let locked = transaction::atomic_using(alias, || async {
                objects()
                    .select_for_update(false, false, &[], false)
                    .filter(Q::lookup("pk", a.id))
                    .fetch()
                    .await
            })
            .await
            .unwrap();
            assert_eq!(locked.len(), 1);
        }

        // delete: instance and queryset
        let (n, per) = e2.delete_using(alias).await.unwrap();
        assert_eq!((n, per), (1, vec![("shop.Item".to_owned(), 1)]));
        let mut a2 = a.clone();
        a2.qty = 0;
        a2.refresh_from_db_using(alias, Some(&["qty"])).await.unwrap();
        assert_eq!(a2.qty, 107, "{vendor}");
        let (n, _) = objects()
            .filter(Q::lookup("qty__gte", 100))
            .delete()
            .await
            .unwrap();
        assert_eq!(n, 4, "{vendor}");
        assert_eq!(objects().count().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn distinct_on_runs_on_postgres_and_is_refused_elsewhere() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor;
        schema::create_models(alias, &[&META]).await.unwrap();
        let objects = || Item::objects().using(alias);
        for (name, qty) in [("pear", 1), ("pear", 9), ("plum", 4)] {
            objects().create(item(name, qty, "1.00")).await.unwrap();
        }
        // The largest qty per name: Django's `distinct("name")` with a matching ordering.
        let result = objects()
            .distinct_on(["name"])
            .order_by(["name", "-qty"])
            .fetch()
            .await;
        if vendor.features().can_distinct_on_fields {
            let rows = result.unwrap();
            let got: Vec<(String, i32)> = rows.into_iter().map(|i| (i.name, i.qty)).collect();
            assert_eq!(got, vec![("pear".to_owned(), 9), ("plum".to_owned(), 4)]);
        } else {
            let err = result.unwrap_err();
            assert_eq!(err.class_name(), "NotSupportedError", "{}", vendor.name());
            assert_eq!(
                err.to_string(),
                "DISTINCT ON fields is not supported by this database backend."
            );
        }
    }
}

#[tokio::test]
async fn update_counts_matched_rows_even_when_unchanged() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        schema::create_models(alias, &[&META]).await.unwrap();
        let objects = || Item::objects().using(alias);
        objects().create(item("fig", 2, "1.00")).await.unwrap();
        objects().create(item("kiwi", 3, "1.00")).await.unwrap();
        // One row already has qty 2: Django still reports both rows as updated.
        let n = objects().update([("qty", Value::Int(2))]).await.unwrap();
        assert_eq!(n, 2, "{}", db.vendor.name());
    }
}

#[tokio::test]
async fn get_by_pk_reuses_the_compiled_statement() {
    use nuages_db::capture::capture_queries;
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        schema::create_models(alias, &[&META]).await.unwrap();
        let objects = || Item::objects().using(alias);
        let a = objects().create(item("apple", 3, "1.50")).await.unwrap();
        let b = objects().create(item("banana", 5, "0.25")).await.unwrap();
        // As stored (the database keeps microseconds of `created`).
        let a = objects().get(Q::lookup("pk", a.id)).await.unwrap();
        let b = objects().get(Q::lookup("pk", b.id)).await.unwrap();
        // The plain queryset's statement is the one `get(Q)` compiles, with the key bound.
        let (got, plain) = capture_queries(objects().get_pk(b.id)).await;
        let (_, general) = capture_queries(objects().get(Q::lookup("pk", b.id))).await;
        assert_eq!(got.unwrap(), b, "{vendor}");
        assert_eq!(
            (&plain[0].sql, &plain[0].params),
            (&general[0].sql, &general[0].params),
            "{vendor}"
        );
        // Every call binds its own key, converted like the lookup does ("7" as a number).
        let again = objects().get_pk(a.id.to_string()).await.unwrap();
        assert_eq!(again, a, "{vendor}");
        let (_, q) = capture_queries(objects().get_pk(a.id)).await;
        assert!(
            q[0].params.contains(&Value::Int(a.id)),
            "{vendor}: {:?}",
            q[0].params
        );
        // Django's errors, whichever path runs.
        assert_eq!(
            objects().get_pk(999_999).await.unwrap_err().to_string(),
            "Item matching query does not exist."
        );
        assert_eq!(
            objects().get_pk("abc").await.unwrap_err().to_string(),
            "Field 'id' expected a number but got 'abc'."
        );
        // Anything applied to the queryset takes the ordinary path (and is honoured).
        let err = objects()
            .filter(Q::lookup("name", "banana"))
            .get_pk(a.id)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "Item matching query does not exist.");
        let only = objects().only(["name"]).get_pk(a.id).await.unwrap();
        assert_eq!(
            (only.name.as_str(), only.qty),
            ("apple", 0),
            "{vendor}: deferred qty"
        );
        // `all()` is cached the same way: the ordinary statement, every time.
        for _ in 0..2 {
            let (all, q) = capture_queries(objects().fetch()).await;
            assert_eq!(all.unwrap(), vec![a.clone(), b.clone()], "{vendor}");
            let expected = objects().as_dyn().sql(db.vendor).unwrap().unwrap();
            assert_eq!((&q[0].sql, &q[0].params), (&expected.sql, &expected.params));
        }
        // Inside a transaction the cached statement runs on the transaction's connection.
        let alias_owned = alias.to_owned();
        let inside = transaction::atomic_using(alias, || async move {
            Item::objects().using(&alias_owned).get_pk(b.id).await
        })
        .await
        .unwrap();
        assert_eq!(inside, b, "{vendor}");
    }
}

#[tokio::test]
async fn integer_lookups_out_of_the_columns_range_match_nothing_or_everything() {
    use nuages_db::query::typed::Column;
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        schema::create_models(alias, &[&META]).await.unwrap();
        let objects = || Item::objects().using(alias);
        let a = objects().create(item("fig", 2, "1.00")).await.unwrap();
        objects().create(item("kiwi", 3, "1.00")).await.unwrap();
        let count = |q: Q| async move { objects().filter(q).count().await.unwrap() };
        // Django 5's IntegerFieldOverflow: past the 64-bit key's range, exact/gt/gte
        // match nothing and lt/lte everything (mirrored below the minimum).
        let huge = "9223372036854775808";
        let tiny = "-9223372036854775809";
        for (path, value, n) in [
            ("pk", huge, 0),
            ("pk__gt", huge, 0),
            ("pk__gte", huge, 0),
            ("pk__lt", huge, 2),
            ("pk__lte", huge, 2),
            ("pk", tiny, 0),
            ("pk__lt", tiny, 0),
            ("pk__lte", tiny, 0),
            ("pk__gt", tiny, 2),
            ("pk__gte", tiny, 2),
            ("pk", "123456789012345678901234567890123", 0),
        ] {
            assert_eq!(count(Q::lookup(path, value)).await, n, "{vendor}: {path}={value}");
        }
        assert_eq!(objects().exclude(Q::lookup("pk", huge)).count().await.unwrap(), 2);
        assert_eq!(count(Q::lookup("pk", Value::Float(1e30))).await, 0, "{vendor}");
        let err = objects().get(Q::lookup("pk", huge)).await.unwrap_err();
        assert_eq!(err.to_string(), "Item matching query does not exist.", "{vendor}");
        let err = objects().get_pk(huge).await.unwrap_err();
        assert_eq!(err.to_string(), "Item matching query does not exist.", "{vendor}");
        // The key fast path still works (nothing was cached for the overflowing key).
        assert_eq!(objects().get_pk(a.id).await.unwrap().name, "fig", "{vendor}");

        // An `integer` column: past 32 bits on PostgreSQL and MySQL (no query runs),
        // in range on SQLite, which stores 64-bit integers in every integer column.
        let past = Value::Int(3_000_000_000);
        let qs = objects().filter(Q::lookup("qty", past.clone()));
        assert_eq!(
            qs.as_dyn().sql(db.vendor).unwrap().is_none(),
            db.vendor != nuages_db::Vendor::Sqlite,
            "{vendor}"
        );
        assert_eq!(qs.count().await.unwrap(), 0, "{vendor}");
        assert_eq!(count(Q::lookup("qty__lt", past.clone())).await, 2, "{vendor}");
        assert_eq!(
            count(Q::lookup("qty__gt", Value::Int(-3_000_000_000))).await,
            2,
            "{vendor}"
        );
        // The typed front end takes the same path.
        let qty: Column<i64> = Column::new("qty".to_owned());
        assert_eq!(
            objects().filter(qty.gte(3_000_000_000)).count().await.unwrap(),
            0,
            "{vendor}"
        );
        assert_eq!(
            objects().filter(qty.lte(3_000_000_000)).count().await.unwrap(),
            2,
            "{vendor}"
        );
        // IntegerFieldFloatRounding: gte and lt round a float up.
        assert_eq!(
            count(Q::lookup("qty__gte", Value::Float(2.5))).await,
            1,
            "{vendor}"
        );
        assert_eq!(
            count(Q::lookup("qty__lt", Value::Float(2.5))).await,
            1,
            "{vendor}"
        );
        assert_eq!(
            count(Q::lookup("qty__gt", Value::Float(2.5))).await,
            1,
            "{vendor}"
        );
        assert_eq!(
            count(Q::lookup("qty__lte", Value::Float(2.5))).await,
            1,
            "{vendor}"
        );
        assert_eq!(
            count(Q::lookup("qty__lt", Value::Float(2.1))).await,
            1,
            "{vendor}"
        );
        assert_eq!(
            count(Q::lookup("qty__lte", Value::Float(2.9))).await,
            1,
            "{vendor}"
        );
    }
}

#[tokio::test]
async fn integer_in_lists_leave_out_values_outside_the_columns_range() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        schema::create_models(alias, &[&META]).await.unwrap();
        let objects = || Item::objects().using(alias);
        objects().create(item("fig", 2, "1.00")).await.unwrap();
        objects().create(item("kiwi", 3, "1.00")).await.unwrap();
        let count = |q: Q| async move { objects().filter(q).count().await.unwrap() };
        // Django's `In` has no range check: the values are sent as they are and one
        // the column cannot hold matches no row (no error, on any backend).
        let past_32 = Value::Int(3_000_000_000);
        let past_64 = Value::Text("9223372036854775808".into());
        let mixed = vec![
            Value::Int(2),
            past_32.clone(),
            Value::Int(-3_000_000_000),
            past_64.clone(),
        ];
        assert_eq!(count(Q::lookup("qty__in", mixed.clone())).await, 1, "{vendor}");
        assert_eq!(
            objects()
                .exclude(Q::lookup("qty__in", mixed))
                .count()
                .await
                .unwrap(),
            1,
            "{vendor}"
        );
        let none_fit = vec![past_64.clone(), Value::Text("-9223372036854775809".into())];
        assert_eq!(count(Q::lookup("pk__in", none_fit.clone())).await, 0, "{vendor}");
        assert_eq!(
            objects()
                .exclude(Q::lookup("pk__in", none_fit))
                .count()
                .await
                .unwrap(),
            2,
            "{vendor}"
        );
        // Past 32 bits: outside an `integer` column on PostgreSQL and MySQL (nothing
        // to run), a value SQLite's 64-bit column could hold.
        let qs = objects().filter(Q::lookup("qty__in", vec![past_32.clone()]));
        assert_eq!(
            qs.as_dyn().sql(db.vendor).unwrap().is_none(),
            db.vendor != nuages_db::Vendor::Sqlite,
            "{vendor}"
        );
        assert_eq!(qs.count().await.unwrap(), 0, "{vendor}");
        // A 64-bit key takes 3,000,000,000 as an ordinary value.
        assert_eq!(count(Q::lookup("pk__in", vec![past_32])).await, 0, "{vendor}");
    }
}

#[tokio::test]
async fn mysql_aliases_learn_mariadb_from_their_first_connection() {
    use nuages_db::capture::capture_queries;
    use nuages_db::connection;
    for db in testing::databases().await.unwrap() {
        if db.vendor != nuages_db::Vendor::MySql {
            continue;
        }
        let alias = db.alias.as_str();
        schema::create_models(alias, &[&META]).await.unwrap();
        Item::objects()
            .using(alias)
            .create(item("bun", 1, "1.00"))
            .await
            .unwrap();
        let rows = connection::fetch(alias, "SELECT VERSION()", &[]).await.unwrap();
        let mariadb = <String as nuages_db::FromValue>::from_value(rows[0].get(0).unwrap().clone())
            .unwrap()
            .contains("MariaDB");
        for (fresh, through_iterator) in [("fresh_mysql_count", false), ("fresh_mysql_iter", true)] {
            // A new alias to the same server: no connection yet, so not known yet.
            connection::register(fresh, &connection::settings(alias).unwrap()).unwrap();
            assert!(!connection::mysql_is_mariadb(fresh));
            // Until then, what MySQL 8 and MariaDB both do.
            assert!(!connection::features(fresh).unwrap().has_select_for_update_of);
            let qs = Item::objects()
                .using(fresh)
                .filter(Q::lookup("name__regex", "^b.n"));
            // The queryset connects before compiling, so its very first SQL is the
            // server's own regex syntax (MariaDB's REGEXP BINARY, MySQL 8's REGEXP_LIKE).
            let (n, q) = capture_queries(async {
                if through_iterator {
                    let rows: Vec<_> = qs.as_dyn().iterator(10).unwrap().collect().await;
                    rows.into_iter()
                        .collect::<Result<Vec<_>, _>>()
                        .map(|r| r.len() as u64)
                } else {
                    qs.count().await
                }
            })
            .await;
            assert_eq!(n.unwrap(), 1, "{fresh}");
            assert_eq!(connection::mysql_is_mariadb(fresh), mariadb, "{fresh}");
            let sql = &q.last().unwrap().sql;
            assert_eq!(sql.contains("REGEXP BINARY"), mariadb, "{fresh}: {sql}");
            assert_eq!(sql.contains("REGEXP_LIKE"), !mariadb, "{fresh}: {sql}");
            // The server's features too (Django: MariaDB has no FOR UPDATE OF).
            let version =
                <String as nuages_db::FromValue>::from_value(rows[0].get(0).unwrap().clone()).unwrap();
            let server = nuages_db::backends::MySqlServer::from_version(&version);
            assert_eq!(connection::features(fresh).unwrap(), server.features(), "{fresh}");
            assert_eq!(
                connection::features(fresh).unwrap().has_select_for_update_of,
                !mariadb
            );
            connection::unregister(fresh);
        }
    }
}

#[tokio::test]
async fn queryset_misuse_is_refused_with_djangos_messages() {
    use nuages_db::Vendor;
    fn msg<T: std::fmt::Debug>(r: Result<T, DbError>) -> String {
        r.unwrap_err().to_string()
    }
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        schema::create_models(alias, &[&META]).await.unwrap();
        let objects = || Item::objects().using(alias);
        let a = objects().create(item("fig", 2, "1.00")).await.unwrap();

        // Slicing.
        assert_eq!(
            msg(objects().slice(Some(-1), None).fetch().await),
            "Negative indexing is not supported."
        );
        assert_eq!(
            msg(objects().slice(None, Some(-2)).fetch().await),
            "Negative indexing is not supported."
        );
        assert_eq!(
            msg(objects()
                .slice(None, Some(1))
                .filter(Q::lookup("qty", 2))
                .fetch()
                .await),
            "Cannot filter a query once a slice has been taken."
        );
        assert_eq!(
            msg(objects()
                .slice(None, Some(1))
                .update([("qty", Value::Int(1))])
                .await),
            "Cannot update a query once a slice has been taken."
        );
        assert!(objects()
            .slice(Some(5), Some(2))
            .fetch()
            .await
            .unwrap()
            .is_empty());

        // values_list, latest, iterator, contains.
        assert_eq!(
            msg(objects().values_list(["name"], true, true).fetch().await),
            "'flat' and 'named' can't be used together."
        );
        assert_eq!(
            msg(objects().latest::<&str>(&[]).await),
            "earliest() and latest() require either fields as positional arguments or 'get_latest_by' in the model's Meta."
        );
        assert_eq!(
            msg(objects().as_dyn().iterator(0).map(|_| ())),
            "Chunk size must be strictly positive."
        );
        assert_eq!(
            msg(objects().contains(&item("new", 1, "1.00")).await),
            "QuerySet.contains() cannot be used on unsaved objects."
        );
        assert!(objects().contains(&a).await.unwrap(), "{vendor}");

        // select_for_update: its options, and what each backend refuses (SQLite ignores
        // the lock, as Django does).
        assert_eq!(
            msg(objects().select_for_update(true, true, &[], false).fetch().await),
            "The nowait option cannot be used with skip_locked."
        );
        transaction::atomic_using(alias, || async {
            let no_key = objects().select_for_update(false, false, &[], true).fetch().await;
            let of = objects()
                .select_for_update(false, false, &["self"], false)
                .fetch()
                .await;
            let nowait = objects().select_for_update(true, false, &[], false).fetch().await;
            let skip = objects().select_for_update(false, true, &[], false).fetch().await;
            assert_eq!(nowait.unwrap().len(), 1, "{vendor}");
            assert_eq!(skip.unwrap().len(), 1, "{vendor}");
            match db.vendor {
                Vendor::MySql => {
                    assert_eq!(
                        msg(no_key),
                        "FOR NO KEY UPDATE is not supported on this database backend."
                    );
                    // Django: MySQL 8 has OF, MariaDB has not.
                    if nuages_db::connection::mysql_is_mariadb(alias) {
                        assert_eq!(
                            msg(of),
                            "FOR UPDATE OF is not supported on this database backend."
                        );
                    } else {
                        assert_eq!(of.unwrap().len(), 1, "{vendor}");
                    }
                }
                _ => {
                    assert_eq!(no_key.unwrap().len(), 1, "{vendor}");
                    assert_eq!(of.unwrap().len(), 1, "{vendor}");
                }
            }
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn in_bulk_by_a_unique_field_in_batches() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        schema::create_models(alias, &[&META]).await.unwrap();
        let objects = || Item::objects().using(alias);
        let items: Vec<Item> = (0..1005).map(|i| item(&format!("i{i}"), i, "1.00")).collect();
        objects()
            .bulk_create(items, BulkCreateOptions::default())
            .await
            .unwrap();
        // More ids than SQLite's 999 parameters: Django's batches.
        let mut ids: Vec<Value> = objects()
            .order_by(["qty"])
            .as_dyn()
            .clone()
            .values_list(["id"], true, false)
            .fetch_flat()
            .await
            .unwrap();
        ids.push(Value::Int(-1));
        let bulk = objects()
            .order_by(["-qty"])
            .in_bulk(Some(ids.clone()))
            .await
            .unwrap();
        assert_eq!(bulk.len(), 1005, "{vendor}");
        // Django keeps the queryset's ordering: the dict follows it (within a batch).
        let qtys = |bulk: &[(Value, Item)]| bulk.iter().map(|(_, o)| o.qty).collect::<Vec<_>>();
        let some = vec![ids[3].clone(), ids[7].clone(), ids[5].clone()];
        let bulk = objects()
            .order_by(["-qty"])
            .in_bulk(Some(some.clone()))
            .await
            .unwrap();
        assert_eq!(qtys(&bulk), [7, 5, 3], "{vendor}");
        assert_eq!(bulk[0].0, ids[7], "{vendor}");
        let bulk = objects()
            .order_by(["qty"])
            .in_bulk_by("id", Some(some))
            .await
            .unwrap();
        assert_eq!(qtys(&bulk), [3, 5, 7], "{vendor}");
        let all = objects().order_by(["-qty"]).in_bulk(None).await.unwrap();
        assert_eq!(qtys(&all[..3]), [1004, 1003, 1002], "{vendor}");
        let err = objects().in_bulk_by("name", None).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "in_bulk()'s field_name must be a unique field but 'name' isn't."
        );
        let err = objects().slice(None, Some(2)).in_bulk(None).await.unwrap_err();
        assert_eq!(err.to_string(), "Cannot use 'limit' or 'offset' with in_bulk().");
        let by_pk = objects()
            .in_bulk_by("id", Some(vec![Value::Int(-5)]))
            .await
            .unwrap();
        assert!(by_pk.is_empty(), "{vendor}");
    }
}

#[tokio::test]
async fn bulk_create_conflict_options_are_checked_like_django() {
    use nuages_db::Vendor;
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        schema::create_models(alias, &[&META]).await.unwrap();
        let objects = || Item::objects().using(alias);
        let run = |opts: BulkCreateOptions| async move {
            objects()
                .bulk_create(vec![item("x", 1, "1.00")], opts)
                .await
                .map(|v| v.len())
                .map_err(|e| e.to_string())
        };
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let upsert = |update: &[&str], unique: &[&str]| BulkCreateOptions {
            update_conflicts: true,
            update_fields: strings(update),
            unique_fields: strings(unique),
            ..Default::default()
        };
        assert_eq!(
            run(BulkCreateOptions {
                ignore_conflicts: true,
                update_conflicts: true,
                ..Default::default()
            })
            .await,
            Err("ignore_conflicts and update_conflicts are mutually exclusive.".to_owned())
        );
        assert_eq!(
            run(BulkCreateOptions {
                batch_size: Some(0),
                ..Default::default()
            })
            .await,
            Err("Batch size must be a positive integer.".to_owned())
        );
        assert_eq!(
            run(upsert(&[], &["id"])).await,
            Err(
                "Fields that will be updated when a row insertion fails on conflicts must be provided."
                    .to_owned()
            )
        );
        assert_eq!(
            run(upsert(&["nope"], &["id"])).await,
            Err("Item has no field named 'nope'".to_owned())
        );
        assert_eq!(
            run(upsert(&["qty"], &["nope"])).await,
            Err("Item has no field named 'nope'".to_owned())
        );
        match db.vendor {
            // MySQL's ON DUPLICATE KEY UPDATE names no conflict target.
            Vendor::MySql => {
                assert_eq!(
                    run(upsert(&["qty"], &["id"])).await,
                    Err("This database backend does not support updating conflicts with specifying unique fields that can trigger the upsert.".to_owned())
                );
                assert_eq!(run(upsert(&["qty"], &[])).await, Ok(1), "{vendor}");
            }
            _ => {
                assert_eq!(
                    run(upsert(&["qty"], &[])).await,
                    Err("Unique fields that can trigger the upsert must be provided.".to_owned())
                );
                assert_eq!(
                    run(upsert(&["id"], &["pk"])).await,
                    Err("bulk_create() cannot be used with primary keys in update_fields.".to_owned())
                );
                assert_eq!(run(upsert(&["qty"], &["pk"])).await, Ok(1), "{vendor}");
            }
        }
    }
}

#[tokio::test]
async fn save_options_are_checked_like_django() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        schema::create_models(alias, &[&META]).await.unwrap();
        let save = |mut obj: Item, opts: SaveOptions| async move {
            obj.save_with(SaveOptions {
                using: Some(alias.into()),
                ..opts
            })
            .await
            .map(|_| obj)
            .map_err(|e| e.to_string())
        };
        let fields = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let saved = save(item("fig", 1, "1.00"), SaveOptions::default())
            .await
            .unwrap();
        assert_eq!(
            save(
                saved.clone(),
                SaveOptions {
                    force_insert: true,
                    force_update: true,
                    ..Default::default()
                }
            )
            .await
            .unwrap_err(),
            "Cannot force both insert and updating in model saving."
        );
        assert_eq!(
            save(saved.clone(), SaveOptions { update_fields: fields(&["nope", "id"]), ..Default::default() })
                .await
                .unwrap_err(),
            "The following fields do not exist in this model, are m2m fields, primary keys, or are non-concrete fields: nope, id"
        );
        assert_eq!(
            save(
                item("new", 1, "1.00"),
                SaveOptions {
                    force_update: true,
                    ..Default::default()
                }
            )
            .await
            .unwrap_err(),
            "Cannot force an update in save() with no primary key."
        );
        let mut gone = saved.clone();
        gone.id = 999_999;
        assert_eq!(
            save(
                gone.clone(),
                SaveOptions {
                    force_update: true,
                    ..Default::default()
                }
            )
            .await
            .unwrap_err(),
            "Forced update did not affect any rows."
        );
        assert_eq!(
            save(
                gone,
                SaveOptions {
                    update_fields: fields(&["qty"]),
                    ..Default::default()
                }
            )
            .await
            .unwrap_err(),
            "Save with update_fields did not affect any rows."
        );
        // An empty update_fields saves nothing, as Django's.
        let mut changed = saved.clone();
        changed.qty = 5;
        save(
            changed,
            SaveOptions {
                update_fields: fields(&[]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let stored = Item::objects().using(alias).get_pk(saved.id).await.unwrap();
        assert_eq!(stored.qty, 1, "{vendor}");
    }
}
