//! The model the ORM benchmarks share: four columns (integer key, text, float, nullable
//! text), implemented by hand as `#[derive(Model)]` would.
#![allow(dead_code)]

use nuages_db::backends::sqlite::rusqlite;
use nuages_db::models::model::ModelRow;
use nuages_db::{connection, DbError, Field, FieldType, FromValue, Model, ModelMeta, Value};

pub const ROWS: i64 = 10_000;

static FIELDS: [Field; 4] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(100),
    Field::new("score", FieldType::FloatField),
    Field::new("note", FieldType::TextField).null(),
];
pub static META: ModelMeta = ModelMeta::new("bench", "Item", "item", "bench_rows", &FIELDS);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    pub id: i64,
    pub name: String,
    pub score: f64,
    pub note: Option<String>,
}

impl Item {
    pub fn numbered(i: i64) -> Item {
        Item {
            id: 0,
            name: format!("row number {i}"),
            score: i as f64 / 7.0,
            note: (i % 3 != 0).then(|| format!("note {i}")),
        }
    }
}

impl Model for Item {
    fn meta() -> &'static ModelMeta {
        &META
    }
    fn from_db(mut row: ModelRow) -> nuages_db::Result<Self> {
        Ok(Item {
            id: row.next()?,
            name: row.next()?,
            score: row.next()?,
            note: row.next()?,
        })
    }
    fn get_field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "id" => Value::Int(self.id),
            "name" => Value::Text(self.name.clone()),
            "score" => Value::Float(self.score),
            "note" => self.note.clone().map(Value::Text).unwrap_or(Value::Null),
            _ => return None,
        })
    }
    fn set_field(&mut self, name: &str, value: Value) -> nuages_db::Result<()> {
        match name {
            "id" => self.id = i64::from_value(value)?,
            "name" => self.name = String::from_value(value)?,
            "score" => self.score = f64::from_value(value)?,
            "note" => self.note = Option::from_value(value)?,
            _ => {
                return Err(DbError::FieldDoesNotExist(format!(
                    "Item has no field named '{name}'"
                )))
            }
        }
        Ok(())
    }
}

pub fn check(items: &[Item]) {
    assert_eq!(items.len(), ROWS as usize);
    assert!(
        items[9].id == 10 && !items[9].name.is_empty() && items[9].score > 0.0 && items[9].note.is_some()
    );
}

/// The query both fetch benchmarks run, bare and through `connection::fetch`.
pub const SELECT: &str = "SELECT id, name, score, note FROM bench_rows ORDER BY id";

/// A row of values into an `Item`, as a hand-written raw-SQL caller would.
pub fn from_values(values: Vec<Value>) -> Item {
    let mut it = values.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Item {
        id: i64::from_value(next()).unwrap(),
        name: String::from_value(next()).unwrap(),
        score: f64::from_value(next()).unwrap(),
        note: Option::<String>::from_value(next()).unwrap(),
    }
}

/// Recreates `bench_rows` with `ROWS` rows; `placeholders` in the backend's style.
pub async fn fill(alias: &str, placeholders: &str) {
    connection::execute_script(alias, "DROP TABLE IF EXISTS bench_rows")
        .await
        .unwrap();
    connection::execute_script(
        alias,
        "CREATE TABLE bench_rows (id integer PRIMARY KEY, name varchar(100) NOT NULL, score double precision NOT NULL, note text)",
    )
    .await
    .unwrap();
    let sql = format!("INSERT INTO bench_rows (id, name, score, note) VALUES ({placeholders})");
    nuages_db::transaction::atomic_using(alias, || async {
        for i in 1..=ROWS {
            let note = if i % 3 == 0 {
                Value::Null
            } else {
                Value::Text(format!("note {i}"))
            };
            connection::execute(
                alias,
                &sql,
                &[
                    Value::Int(i),
                    Value::Text(format!("row number {i}")),
                    Value::Float(i as f64 / 7.0),
                    note,
                ],
            )
            .await?;
        }
        Ok::<_, nuages_db::DbError>(())
    })
    .await
    .unwrap();
}

/// The bare-driver baseline on SQLite: `rusqlite`'s `query_map` straight into `Item`.
pub fn bare_sqlite(conn: &rusqlite::Connection) -> Vec<Item> {
    let mut stmt = conn.prepare_cached(SELECT).unwrap();
    stmt.query_map([], |r| {
        Ok(Item {
            id: r.get(0)?,
            name: r.get(1)?,
            score: r.get(2)?,
            note: r.get(3)?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The bare-driver baseline on PostgreSQL: one `tokio-postgres` row into an `Item`.
pub fn item_from_pg(r: &tokio_postgres::Row) -> Item {
    Item {
        id: r.get::<_, i32>(0).into(),
        name: r.get(1),
        score: r.get(2),
        note: r.get(3),
    }
}
