//! Exports: a filtered feedback list as a spreadsheet people open in Excel or WPS, as CSV
//! (UTF-8 with a BOM, so Excel on Chinese Windows reads it right) or XLSX. The rows are read
//! in keyset pages and written as they come, so a million rows take bounded memory; every text
//! cell a spreadsheet would run as a formula is neutralised. A whole workspace can be
//! exported too, as JSON lines (`workspace.rs`).

mod csv;
mod table;
mod workspace;
mod xlsx;

pub use self::csv::csv_chunks;
pub use self::table::{
    neutralise, row, Cell, ExportContext, ExportError, ExportFormat, HEADERS, PAGE,
};
pub use self::workspace::{workspace_chunks, write_workspace, WORKSPACE_PAGE};
pub use self::xlsx::xlsx_file;
