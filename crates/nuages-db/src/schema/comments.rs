//! Table and column comments: Django's `db_table_comment` and `db_comment` in DDL.
//!
//! As in Django 5.2, each backend writes them its own way:
//!
//! - PostgreSQL (`supports_comments`, not inline): `COMMENT ON TABLE t IS '...'` right
//!   after `CREATE TABLE`, then `COMMENT ON COLUMN t.c IS '...'` for each commented
//!   column; the same statements after `ADD COLUMN` and when a comment changes.
//! - MySQL/MariaDB (`supports_comments_inline`): `COMMENT '...'` inside the column
//!   definition (`CREATE TABLE`, `ADD COLUMN`, `MODIFY`) and
//!   `ALTER TABLE t COMMENT = '...'` for the table.
//! - SQLite (`supports_comments = False`): comments stay in the migration state only;
//!   nothing is written to the database and no error is raised.
//!
//! Removing a comment writes the empty string, which both PostgreSQL and MySQL treat as
//! "no comment" (Django's `quote_value(comment or "")`).
//!
//! The comment is an SQL string literal, not a bound parameter: `COMMENT ON` is a
//! utility statement that PostgreSQL cannot prepare with parameters, and MySQL's
//! `COMMENT` clause is part of DDL, which takes no placeholders either. Django writes
//! it with `schema_editor.quote_value` for the same reason; here it goes through
//! [`quote_str`], which doubles quote characters and escapes backslashes (`E'...'` on
//! PostgreSQL, `\\` on MySQL), so no comment can end its literal. A NUL character,
//! which PostgreSQL cannot store in text and which would cut the statement short on
//! the wire, is refused.

use super::dialect::quote_str;
use super::editor::SchemaEditor;
use super::Vendor;
use crate::error::{DbError, Result};
use crate::migrations::state::{FieldState, ModelState};

impl SchemaEditor {
    /// Whether comments reach this backend (Django's `features.supports_comments`).
    pub(crate) fn supports_comments(&self) -> bool {
        self.vendor.features().supports_comments
    }

    /// Django's `_comment_sql`: the comment (or the empty string, which removes it) as a
    /// string literal of the dialect.
    pub(crate) fn comment_literal(&self, comment: Option<&str>) -> Result<String> {
        let comment = comment.unwrap_or("");
        if self.vendor == Vendor::Postgres && comment.contains('\0') {
            return Err(DbError::ValueError(
                "A comment cannot contain NUL (0x00) characters on PostgreSQL.".into(),
            ));
        }
        Ok(quote_str(self.vendor, comment))
    }

    /// The `COMMENT '...'` clause of a column definition on backends that write column
    /// comments inline (MySQL); `None` elsewhere or without a comment.
    pub(crate) fn inline_comment_sql(&self, field: &FieldState) -> Result<Option<String>> {
        match &field.db_comment {
            Some(c) if self.vendor.features().supports_comments_inline => {
                Ok(Some(format!("COMMENT {}", self.comment_literal(Some(c))?)))
            }
            _ => Ok(None),
        }
    }

    /// Django's `alter_db_table_comment`: sets the table's comment (`None` removes it).
    /// Nothing on SQLite.
    ///
    /// ```
    /// use nuages_db::migrations::state::ModelState;
    /// use nuages_db::schema::{SchemaEditor, Vendor};
    /// let book = ModelState::new("shop", "Book", vec![]);
    /// let mut pg = SchemaEditor::new(Vendor::Postgres);
    /// pg.alter_db_table_comment(&book, Some("Books on sale")).unwrap();
    /// assert_eq!(pg.finish(), ["COMMENT ON TABLE \"shop_book\" IS 'Books on sale'"]);
    /// let mut my = SchemaEditor::new(Vendor::MySql);
    /// my.alter_db_table_comment(&book, None).unwrap();
    /// assert_eq!(my.finish(), ["ALTER TABLE `shop_book` COMMENT = ''"]);
    /// let mut lite = SchemaEditor::new(Vendor::Sqlite);
    /// lite.alter_db_table_comment(&book, Some("ignored")).unwrap();
    /// assert!(lite.finish().is_empty());
    /// ```
    pub fn alter_db_table_comment(&mut self, model: &ModelState, comment: Option<&str>) -> Result<()> {
        let literal = self.comment_literal(comment)?;
        let table = self.q(&model.db_table);
        match self.vendor {
            Vendor::Postgres => self.execute(format!("COMMENT ON TABLE {table} IS {literal}")),
            Vendor::MySql => self.execute(format!("ALTER TABLE {table} COMMENT = {literal}")),
            Vendor::Sqlite => {}
        }
        Ok(())
    }

    /// Django's `_alter_column_comment_sql`, run: `COMMENT ON COLUMN` on backends whose
    /// column comments are separate statements (PostgreSQL). MySQL changes them with the
    /// column definition instead, SQLite not at all.
    pub(crate) fn alter_column_comment(
        &mut self,
        table: &str,
        field: &FieldState,
        comment: Option<&str>,
    ) -> Result<()> {
        let features = self.vendor.features();
        if !features.supports_comments || features.supports_comments_inline {
            return Ok(());
        }
        let sql = format!(
            "COMMENT ON COLUMN {}.{} IS {}",
            self.q(table),
            self.q(&field.column),
            self.comment_literal(comment)?
        );
        self.execute(sql);
        Ok(())
    }

    /// The comments `create_model` writes after `CREATE TABLE`: the table's, then each
    /// commented column's where they are not inline.
    pub(crate) fn model_comments(&mut self, model: &ModelState) -> Result<()> {
        if !self.supports_comments() {
            return Ok(());
        }
        if let Some(c) = &model.db_table_comment {
            self.alter_db_table_comment(model, Some(c))?;
        }
        for field in model.fields.iter().filter(|f| f.is_concrete()) {
            if let Some(c) = &field.db_comment {
                self.alter_column_comment(&model.db_table, field, Some(c))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::state::ProjectState;
    use crate::FieldType;

    fn book() -> ModelState {
        ModelState::new(
            "shop",
            "Book",
            vec![
                FieldState::new("id", FieldType::BigAutoField).primary_key(),
                FieldState::new("title", FieldType::CharField)
                    .max_length(100)
                    .db_comment("It's the \"title\" \\ name"),
            ],
        )
        .db_table_comment("Books")
    }

    fn create(vendor: Vendor) -> Vec<String> {
        let mut project = ProjectState::new();
        project.add_model(book());
        let mut editor = SchemaEditor::new(vendor);
        editor.create_model(&project, &book()).unwrap();
        editor.finish()
    }

    #[test]
    fn create_model_writes_comments_per_backend() {
        assert_eq!(
            create(Vendor::Postgres),
            [
                "CREATE TABLE \"shop_book\" (\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, \"title\" varchar(100) NOT NULL)",
                "COMMENT ON TABLE \"shop_book\" IS 'Books'",
                "COMMENT ON COLUMN \"shop_book\".\"title\" IS E'It''s the \"title\" \\\\ name'",
            ]
        );
        assert_eq!(
            create(Vendor::MySql),
            [
                "CREATE TABLE `shop_book` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `title` varchar(100) COMMENT 'It''s the \"title\" \\\\ name' NOT NULL)",
                "ALTER TABLE `shop_book` COMMENT = 'Books'",
            ]
        );
        assert_eq!(
            create(Vendor::Sqlite),
            ["CREATE TABLE \"shop_book\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"title\" varchar(100) NOT NULL)"]
        );
    }

    #[test]
    fn nul_is_refused_on_postgres() {
        let editor = SchemaEditor::new(Vendor::Postgres);
        assert!(editor.comment_literal(Some("a\0b")).is_err());
        let editor = SchemaEditor::new(Vendor::MySql);
        assert_eq!(editor.comment_literal(Some("a\0b")).unwrap(), "'a\\0b'");
        assert_eq!(editor.comment_literal(None).unwrap(), "''");
    }
}
