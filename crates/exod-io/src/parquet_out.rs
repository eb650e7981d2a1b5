//! Parquet output of a [`Table`] (cargo feature `parquet`): see [`crate::table`] for the layout.

use std::path::Path;
use std::sync::Arc;

use parquet::basic::{LogicalType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::format::KeyValue as PqKeyValue;
use parquet::schema::types::Type;

use crate::context::KeyValue;
use crate::error::IoError;
use crate::table::{ColumnData, Table, TableColumn};

fn field(c: &TableColumn) -> Result<Arc<Type>, ParquetError> {
    let (physical, logical) = match c.data {
        ColumnData::F64(_) => (Physical::DOUBLE, None),
        ColumnData::I64(_) => (Physical::INT64, None),
        ColumnData::Bool(_) => (Physical::BOOLEAN, None),
        ColumnData::Str(_) => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
    };
    Ok(Arc::new(
        Type::primitive_type_builder(&c.name, physical)
            .with_repetition(Repetition::REQUIRED)
            .with_logical_type(logical)
            .build()?,
    ))
}

/// The file's key–value metadata: every column's unit and description, then the keywords.
fn metadata(table: &Table, meta: &[(String, KeyValue, String)]) -> Vec<PqKeyValue> {
    let mut kv = Vec::new();
    for c in &table.columns {
        if !c.unit.is_empty() {
            kv.push(PqKeyValue::new(
                format!("exod:unit:{}", c.name),
                c.unit.clone(),
            ));
        }
        kv.push(PqKeyValue::new(
            format!("exod:description:{}", c.name),
            c.description.clone(),
        ));
    }
    for (k, v, _) in meta.iter().chain(&table.keywords) {
        kv.push(PqKeyValue::new(k.clone(), v.render()));
    }
    kv
}

fn write_file(
    tmp: &Path,
    table: &Table,
    meta: &[(String, KeyValue, String)],
) -> Result<(), ParquetError> {
    let fields = table
        .columns
        .iter()
        .map(field)
        .collect::<Result<Vec<_>, _>>()?;
    let schema = Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()?,
    );
    let props = WriterProperties::builder()
        .set_created_by(format!("exod {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(metadata(table, meta)))
        .build();
    let file = std::fs::File::create(tmp)?;
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(props))?;
    let mut group = writer.next_row_group()?;
    let mut k = 0;
    while let Some(mut col) = group.next_column()? {
        match &table.columns[k].data {
            ColumnData::F64(v) => col.typed::<DoubleType>().write_batch(v, None, None)?,
            ColumnData::I64(v) => col.typed::<Int64Type>().write_batch(v, None, None)?,
            ColumnData::Bool(v) => col.typed::<BoolType>().write_batch(v, None, None)?,
            ColumnData::Str(v) => {
                let b: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(s.as_str())).collect();
                col.typed::<ByteArrayType>().write_batch(&b, None, None)?
            }
        };
        col.close()?;
        k += 1;
    }
    group.close()?;
    writer.close()?;
    Ok(())
}

/// Write `table` as Parquet, `meta` (e.g. the FITS primary keywords) in its key–value metadata.
pub fn write_parquet(
    path: &Path,
    table: &Table,
    meta: &[(String, KeyValue, String)],
) -> Result<(), IoError> {
    crate::fits::write_atomic(path, |tmp| write_file(tmp, table, meta))
        .map_err(|e| IoError::output(path, format!("parquet: {e}")))
}
