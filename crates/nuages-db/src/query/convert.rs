//! Output conversion: every selected column has a known Django field type, and the
//! driver's value is converted to that type's [`Value`] (Django's `from_db_value` and
//! backend converters), so `values()` results are typed the same on every backend:
//! SQLite's text dates and REAL decimals, integer booleans, PostgreSQL's numeric
//! `EXTRACT` results, MySQL's integer booleans.

use chrono::{NaiveDate, NaiveTime, TimeDelta};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::models::meta::{Field, FieldType};
use crate::value::{parse_datetime, Value, ValueRef};

use super::lookups::float_to_decimal;

/// Converts a driver value to the value of a column of `ty` (`field` gives decimal
/// places). Values that do not parse are returned unchanged.
pub(crate) fn convert(v: Value, ty: Option<FieldType>, field: Option<&Field>) -> Value {
    use FieldType::*;
    let Some(ty) = ty else { return v };
    if v.is_null() {
        return v;
    }
    match ty {
        BooleanField => match v {
            Value::Int(i) => Value::Bool(i != 0),
            Value::Text(ref s) if s == "0" || s == "1" => Value::Bool(s == "1"),
            other => other,
        },
        AutoField
        | BigAutoField
        | SmallAutoField
        | SmallIntegerField
        | IntegerField
        | BigIntegerField
        | PositiveSmallIntegerField
        | PositiveIntegerField
        | PositiveBigIntegerField
        | ForeignKey
        | OneToOneField => match v {
            Value::Decimal(d) => d.trunc().to_i64().map(Value::Int).unwrap_or(Value::Decimal(d)),
            Value::Float(f) if f.is_finite() && f == f.trunc() => Value::Int(f as i64),
            Value::Bool(b) => Value::Int(b as i64),
            Value::Text(ref s) => s.trim().parse::<i64>().map(Value::Int).unwrap_or(v),
            other => other,
        },
        FloatField => match v {
            Value::Int(i) => Value::Float(i as f64),
            Value::Decimal(d) => Value::Float(d.to_f64().unwrap_or(f64::NAN)),
            Value::Text(ref s) => s.trim().parse::<f64>().map(Value::Float).unwrap_or(v),
            other => other,
        },
        DecimalField => {
            let places = field.and_then(|f| f.decimal_places);
            let digits = field.and_then(|f| f.max_digits);
            let d = match v {
                Value::Decimal(d) => Some(d),
                Value::Int(i) => Some(Decimal::from(i)),
                Value::Float(f) => float_to_decimal(f, digits, None),
                Value::Text(ref s) => s
                    .trim()
                    .parse::<Decimal>()
                    .ok()
                    .or_else(|| Decimal::from_scientific(s).ok()),
                _ => None,
            };
            match (d, places) {
                (Some(mut d), Some(p)) => {
                    d = d.round_dp_with_strategy(p, rust_decimal::RoundingStrategy::MidpointNearestEven);
                    d.rescale(p);
                    Value::Decimal(d)
                }
                (Some(d), None) => Value::Decimal(d),
                (None, _) => v,
            }
        }
        DateField => match v {
            Value::Text(ref s) => NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
                .map(Value::Date)
                .unwrap_or(v),
            Value::DateTime(dt) => Value::Date(dt.date_naive()),
            other => other,
        },
        DateTimeField => match v {
            Value::Text(ref s) => parse_datetime(s).map(Value::DateTime).unwrap_or(v),
            other => other,
        },
        TimeField => match v {
            Value::Text(ref s) => NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                .map(Value::Time)
                .unwrap_or(v),
            other => other,
        },
        DurationField => match v {
            Value::Int(us) => Value::Duration(TimeDelta::microseconds(us)),
            other => other,
        },
        UUIDField => match v {
            Value::Text(ref s) => uuid::Uuid::parse_str(s).map(Value::Uuid).unwrap_or(v),
            other => other,
        },
        JSONField => match v {
            Value::Text(ref s) => serde_json::from_str(s).map(Value::Json).unwrap_or(v),
            other => other,
        },
        _ => v,
    }
}

/// The kinds of driver cells [`convert`] returns unchanged for a column of a type, so the
/// ORM may read such a cell into a field without building a [`Value`] for it. Kept next
/// to [`convert`], whose arms it mirrors (a test checks the two agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unchanged(u8);

impl Unchanged {
    const NULL: u8 = 1;
    const INT: u8 = 2;
    const FLOAT: u8 = 4;
    const TEXT: u8 = 8;

    /// No cell passes unchanged (a custom field's `from_db_value` must see every value).
    pub(crate) const NONE: Unchanged = Unchanged(0);

    /// What passes [`convert`] unchanged for a column of `ty`.
    pub(crate) fn of(ty: Option<FieldType>) -> Unchanged {
        use FieldType::*;
        let Some(ty) = ty else {
            return Unchanged(Self::NULL | Self::INT | Self::FLOAT | Self::TEXT);
        };
        let integer = ty.is_integer() || matches!(ty, ForeignKey | OneToOneField);
        let mut kinds = Self::NULL;
        if !matches!(ty, BooleanField | FloatField | DecimalField | DurationField) {
            kinds |= Self::INT;
        }
        if !integer && ty != DecimalField {
            kinds |= Self::FLOAT;
        }
        if !integer
            && !matches!(
                ty,
                BooleanField
                    | FloatField
                    | DecimalField
                    | DateField
                    | DateTimeField
                    | TimeField
                    | UUIDField
                    | JSONField
            )
        {
            kinds |= Self::TEXT;
        }
        Unchanged(kinds)
    }

    /// Whether `cell` passes unchanged.
    #[inline]
    pub(crate) fn admits(self, cell: &ValueRef<'_>) -> bool {
        let bit = match cell {
            ValueRef::Null => Self::NULL,
            ValueRef::Int(_) => Self::INT,
            ValueRef::Float(_) => Self::FLOAT,
            ValueRef::Text(_) => Self::TEXT,
        };
        self.0 & bit != 0
    }
}

/// Converts a driver value to the value of an expression's output field. A decimal of
/// unknown scale (`Avg` of a decimal, a decimal division) keeps 15 significant digits
/// from a float, as Django's SQLite converter does, and drops trailing zeros.
pub(crate) fn convert_output(v: Value, out: Option<super::func::OutputField>) -> Value {
    let Some(o) = out else { return v };
    let mut f = Field::new("", o.ty);
    f.max_digits = o.max_digits;
    f.decimal_places = o.decimal_places;
    if o.ty == FieldType::DecimalField && o.decimal_places.is_none() {
        let d = match v {
            Value::Float(x) => Decimal::from_f64_retain(x).map(|d| d.round_sf(15).unwrap_or(d)),
            Value::Decimal(d) => Some(d),
            Value::Int(i) => Some(Decimal::from(i)),
            Value::Text(ref s) => s.trim().parse::<Decimal>().ok(),
            _ => None,
        };
        return match d {
            Some(d) => Value::Decimal(d.normalize()),
            None => v,
        };
    }
    convert(v, Some(o.ty), Some(&f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_kinds_agree_with_convert() {
        use FieldType::*;
        let samples = [
            ValueRef::Null,
            ValueRef::Int(0),
            ValueRef::Int(1),
            ValueRef::Int(42),
            ValueRef::Float(2.0),
            ValueRef::Float(2.5),
            ValueRef::Text("1"),
            ValueRef::Text("2.5"),
            ValueRef::Text("2000-02-29"),
            ValueRef::Text("2000-02-29 12:30:00"),
            ValueRef::Text("12:30:00"),
            ValueRef::Text("6ba7b8109dad11d180b400c04fd430c8"),
            ValueRef::Text("{\"a\": 1}"),
            ValueRef::Text("abc"),
        ];
        let types = [
            None,
            Some(BooleanField),
            Some(AutoField),
            Some(BigAutoField),
            Some(IntegerField),
            Some(ForeignKey),
            Some(FloatField),
            Some(DecimalField),
            Some(CharField),
            Some(TextField),
            Some(DateField),
            Some(DateTimeField),
            Some(TimeField),
            Some(DurationField),
            Some(UUIDField),
            Some(JSONField),
            Some(SlugField),
            Some(EmailField),
        ];
        for ty in types {
            let kinds = Unchanged::of(ty);
            for cell in samples {
                if kinds.admits(&cell) {
                    assert_eq!(
                        convert(cell.to_value(), ty, None),
                        cell.to_value(),
                        "{ty:?} {cell:?}"
                    );
                }
            }
        }
        assert!(Unchanged::of(Some(CharField)).admits(&ValueRef::Text("x")));
        assert!(!Unchanged::of(Some(IntegerField)).admits(&ValueRef::Float(2.0)));
        assert!(!Unchanged::NONE.admits(&ValueRef::Null));
    }

    #[test]
    fn sqlite_shapes_become_field_values() {
        static PRICE: Field = {
            let mut f = Field::new("price", FieldType::DecimalField);
            f.max_digits = Some(8);
            f.decimal_places = Some(2);
            f
        };
        let d = convert(Value::Float(12.5), Some(FieldType::DecimalField), Some(&PRICE));
        assert_eq!(d, Value::Decimal("12.50".parse().unwrap()));
        assert_eq!(
            convert(Value::Int(1), Some(FieldType::BooleanField), None),
            Value::Bool(true)
        );
        assert_eq!(
            convert(Value::Text("2000-02-29".into()), Some(FieldType::DateField), None),
            Value::Date(NaiveDate::from_ymd_opt(2000, 2, 29).unwrap())
        );
        assert_eq!(
            convert(
                Value::Decimal(Decimal::from(2022)),
                Some(FieldType::IntegerField),
                None
            ),
            Value::Int(2022)
        );
    }
}
