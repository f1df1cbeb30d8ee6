//! What a queryset's rows become, built where the driver decodes them: Django's
//! `ModelIterable` (model instances, [`InstanceSink`]) and `ValuesIterable` /
//! `ValuesListIterable` (typed rows, [`RowsSink`]).
//!
//! Both are [`RowSink`]s: the backend hands them each result row as the driver holds it
//! (on SQLite, on the connection's thread), so a fetched row costs no intermediate
//! `Row`/`Vec<Value>`. The per-column work (which column feeds which field, how the
//! driver's value is converted to the expression's output field, custom fields'
//! `from_db_value`) is planned once per query.

use std::sync::Arc;

use crate::backends::sqlite::{self, rusqlite};
use crate::backends::{Cells, Row, RowSink};
use crate::error::Result;
use crate::models::custom::CustomField;
use crate::models::model::{FieldPlan, Model, ModelRow};
use crate::value::Value;

use super::convert::convert_output;
use super::func::OutputField;
use super::where_::SqlExpr;

/// How one selected column's driver value becomes the value of its expression: the
/// output field's conversion (Django's backend converters), then a custom field's
/// `from_db_value` when the column is a custom field's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnConverter {
    output: Option<OutputField>,
    custom: Option<&'static CustomField>,
}

impl ColumnConverter {
    /// The converter of a selected expression.
    pub(crate) fn of(expr: &SqlExpr) -> ColumnConverter {
        let custom = match expr {
            SqlExpr::Col { field, .. } | SqlExpr::OuterCol { field, .. } => field.custom,
            _ => None,
        };
        ColumnConverter {
            output: expr.output_field(),
            custom,
        }
    }

    /// Converts one driver value.
    pub(crate) fn convert(&self, v: Value) -> Result<Value> {
        let v = convert_output(v, self.output);
        match self.custom {
            Some(c) => c.from_db(v),
            None => Ok(v),
        }
    }
}

/// Where one value of an output row comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Column `i` of the result, converted.
    Column(usize, ColumnConverter),
    /// A copy of an earlier output value (`values_list("a", "a")` reads a column twice;
    /// a driver's cell is taken once).
    Repeat(usize),
}

/// The shape of `values()`/`values_list()` (and plain) rows: their names and, per
/// output position, the result column and its conversion. `values_list()` keeps the
/// order the names were given in, while the SQL puts annotations last.
#[derive(Debug, Clone)]
pub(crate) struct RowPlan {
    names: Arc<[String]>,
    sources: Vec<Source>,
    /// Without a reordering, a short driver row gives a short row (no padding).
    reordered: bool,
}

impl RowPlan {
    /// The plan for `cols` (in SELECT order), output in `order` when given.
    pub(crate) fn new(cols: &[(String, SqlExpr)], order: Option<&[usize]>) -> RowPlan {
        let positions: Vec<usize> = match order {
            Some(idx) => idx.to_vec(),
            None => (0..cols.len()).collect(),
        };
        let names = positions.iter().map(|&i| cols[i].0.clone()).collect();
        let sources = positions
            .iter()
            .enumerate()
            .map(|(at, &i)| match positions[..at].iter().position(|&p| p == i) {
                Some(earlier) => Source::Repeat(earlier),
                None => Source::Column(i, ColumnConverter::of(&cols[i].1)),
            })
            .collect();
        RowPlan {
            names,
            sources,
            reordered: order.is_some(),
        }
    }

    /// Builds the row of one driver row.
    pub(crate) fn row(&self, mut cells: Cells<'_>) -> Result<Row> {
        let available = cells.column_count();
        let mut values: Vec<Value> = Vec::with_capacity(self.sources.len());
        for source in &self.sources {
            let value = match *source {
                Source::Column(i, conv) if i < available => conv.convert(cells.take(i)?)?,
                Source::Column(..) if !self.reordered => break,
                Source::Column(..) => Value::Null,
                Source::Repeat(earlier) => values.get(earlier).cloned().unwrap_or_default(),
            };
            values.push(value);
        }
        Ok(Row::new(self.names.clone(), values))
    }
}

/// Collects typed rows (Django's `ValuesIterable`).
pub(crate) struct RowsSink {
    pub(crate) plan: RowPlan,
    pub(crate) out: Vec<Row>,
}

impl RowsSink {
    #[inline(always)]
    fn push(&mut self, cells: Cells<'_>) -> Result<()> {
        let row = self.plan.row(cells)?;
        self.out.push(row);
        Ok(())
    }
}

impl RowSink for RowsSink {
    fn row(&mut self, cells: Cells<'_>) -> Result<()> {
        self.push(cells)
    }

    fn sqlite_rows(&mut self, rows: &mut rusqlite::Rows<'_>) -> Result<()> {
        sqlite::each_row(rows, |cells| self.push(cells))
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send> {
        self
    }
}

/// A selected annotation of a model queryset: its alias, its column and conversion.
#[derive(Debug, Clone)]
pub(crate) struct AnnotationColumn {
    name: String,
    column: usize,
    converter: ColumnConverter,
}

/// How a model queryset's rows become instances: the concrete fields' columns
/// ([`FieldPlan`]), then the selected annotations, which go to the instance's
/// [`ModelState`](crate::models::state::ModelState).
#[derive(Debug, Clone)]
pub(crate) struct ModelPlan {
    pub(crate) fields: Arc<[FieldPlan]>,
    annotations: Arc<[AnnotationColumn]>,
    /// Column `i` feeds the `i`th field ([`direct`](crate::models::model::direct)).
    direct: bool,
}

impl ModelPlan {
    /// A plan with the annotations selected after the fields (`cols` from `first` on).
    pub(crate) fn with_annotations(
        fields: Vec<FieldPlan>,
        cols: &[(String, SqlExpr)],
        first: usize,
    ) -> ModelPlan {
        let annotations: Vec<AnnotationColumn> = cols
            .iter()
            .enumerate()
            .skip(first)
            .map(|(column, (name, expr))| AnnotationColumn {
                name: name.clone(),
                column,
                converter: ColumnConverter::of(expr),
            })
            .collect();
        ModelPlan {
            direct: crate::models::model::direct(&fields),
            fields: fields.into(),
            annotations: annotations.into(),
        }
    }

    /// A copy with reference counts of its own, for one thread's statement cache
    /// (`query/pk_get.rs`): every query's sink clones its plan, and clones of a plan
    /// shared by all threads would write the same counters from every core.
    pub(crate) fn for_this_thread(&self) -> ModelPlan {
        ModelPlan {
            direct: self.direct,
            fields: self.fields.iter().cloned().collect(),
            annotations: self.annotations.iter().cloned().collect(),
        }
    }

    /// A sink collecting the instances of `M` into `O` (every one into a `Vec`, or
    /// [`FirstOf`] for `get()`).
    pub(crate) fn sink<M: Model, O: Instances<M>>(&self) -> InstanceSink<M, O> {
        InstanceSink {
            plan: self.clone(),
            out: O::default(),
            _model: std::marker::PhantomData,
        }
    }
}

/// Where an [`InstanceSink`] keeps the instances it decodes.
pub(crate) trait Instances<M>: Default + Send + 'static {
    /// Keeps one more instance.
    fn keep(&mut self, obj: M);
    /// The instances kept, to record where they were loaded from.
    fn kept_mut(&mut self) -> &mut [M];
}

impl<M: Send + 'static> Instances<M> for Vec<M> {
    #[inline(always)]
    fn keep(&mut self, obj: M) {
        self.push(obj);
    }

    fn kept_mut(&mut self) -> &mut [M] {
        self
    }
}

/// `get()`'s rows: the first instance and how many rows came, which is all `get()`
/// answers with (the instance, `DoesNotExist` or `MultipleObjectsReturned` with the
/// count). A primary-key read then allocates no one-element `Vec`.
pub(crate) struct FirstOf<M> {
    pub(crate) first: Option<M>,
    pub(crate) count: usize,
}

impl<M> Default for FirstOf<M> {
    fn default() -> Self {
        FirstOf {
            first: None,
            count: 0,
        }
    }
}

impl<M: Send + 'static> Instances<M> for FirstOf<M> {
    #[inline(always)]
    fn keep(&mut self, obj: M) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(obj);
        }
    }

    fn kept_mut(&mut self) -> &mut [M] {
        self.first.as_mut_slice()
    }
}

/// Collects model instances (Django's `ModelIterable`): each decoded straight from the
/// driver's row, with its annotations stored.
pub(crate) struct InstanceSink<M, O = Vec<M>> {
    plan: ModelPlan,
    out: O,
    _model: std::marker::PhantomData<fn() -> M>,
}

impl<M: Model, O: Instances<M>> InstanceSink<M, O> {
    /// The instances, recorded as loaded from database `db` (`_state.db`).
    pub(crate) fn instances(self, db: &str) -> O {
        let mut out = self.out;
        for obj in out.kept_mut() {
            if let Some(state) = obj.state_mut() {
                state.set_db(db);
            }
        }
        out
    }

    /// Decodes one row into an instance and keeps it.
    #[inline(always)]
    fn push(&mut self, mut cells: Cells<'_>) -> Result<()> {
        let row = ModelRow::cells(cells.reborrow(), &self.plan.fields, self.plan.direct);
        let mut obj = M::from_db(row)?;
        if let Some(state) = obj.state_mut() {
            let available = cells.column_count();
            for a in self.plan.annotations.iter().filter(|a| a.column < available) {
                let value = a.converter.convert(cells.take(a.column)?)?;
                state.set_annotation(&a.name, value);
            }
        }
        self.out.keep(obj);
        Ok(())
    }
}

impl<M: Model, O: Instances<M>> RowSink for InstanceSink<M, O> {
    fn row(&mut self, cells: Cells<'_>) -> Result<()> {
        self.push(cells)
    }

    fn sqlite_rows(&mut self, rows: &mut rusqlite::Rows<'_>) -> Result<()> {
        sqlite::each_row(rows, |cells| self.push(cells))
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send> {
        self
    }
}
