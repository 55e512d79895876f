//! XLSX: written by rust_xlsxwriter in constant-memory mode, which flushes each row to a
//! temporary file as the next one starts, on a blocking thread fed page by page; the finished
//! workbook goes to another temporary file (deleted when closed), which the caller streams.

use std::io::{Seek, SeekFrom};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};
use tokio::sync::mpsc;

use super::table::{row, Cell, ExportContext, ExportError, Pages, HEADERS};
use crate::store::{Feedback, FeedbackFilter, OriginNames, Store};

/// A worksheet holds 1,048,576 rows; past that (header included) the rows go on in another.
const ROWS_PER_SHEET: u32 = 1_048_576;
/// Excel's limit on one cell's text.
const MAX_CELL_CHARS: usize = 32_767;
/// Column widths, in characters: times, channel, source, user, text, sentiment, pain points,
/// keywords, the four scores, attributes.
const WIDTHS: [f64; 14] = [
    19.0, 19.0, 12.0, 20.0, 14.0, 60.0, 9.0, 18.0, 24.0, 6.0, 6.0, 6.0, 6.0, 30.0,
];

struct Sheets {
    book: Workbook,
    header: Format,
    time: Format,
    /// The sheet being written and its next row.
    sheet: usize,
    next_row: u32,
}

impl Sheets {
    fn new() -> Result<Self, ExportError> {
        let mut s = Self {
            book: Workbook::new(),
            header: Format::new().set_bold(),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            sheet: 0,
            next_row: 0,
        };
        s.add_sheet()?;
        Ok(s)
    }

    /// A new sheet, `反馈`, then `反馈 2` …, with widths, frozen headers and the header row.
    fn add_sheet(&mut self) -> Result<(), ExportError> {
        let n = self.book.worksheets().len();
        let name = if n == 0 {
            "反馈".to_owned()
        } else {
            format!("反馈 {}", n + 1)
        };
        let header = self.header.clone();
        let ws = self.book.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        for (col, w) in WIDTHS.iter().enumerate() {
            ws.set_column_width(col as u16, *w)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (col, h) in HEADERS.iter().enumerate() {
            ws.write_string_with_format(0, col as u16, *h, &header)?;
        }
        self.sheet = n;
        self.next_row = 1;
        Ok(())
    }

    fn write_page(
        &mut self,
        rows: &[Feedback],
        names: &OriginNames,
        cx: &ExportContext,
    ) -> Result<(), ExportError> {
        for f in rows {
            if self.next_row >= ROWS_PER_SHEET {
                self.add_sheet()?;
            }
            let r = self.next_row;
            let time = self.time.clone();
            let ws = self.book.worksheet_from_index(self.sheet)?;
            for (col, cell) in row(f, names, cx).into_iter().enumerate() {
                write_cell(ws, r, col as u16, cell, &time)?;
            }
            self.next_row += 1;
        }
        Ok(())
    }
}

fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    col: u16,
    cell: Cell,
    time: &Format,
) -> Result<(), ExportError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) if s.chars().count() > MAX_CELL_CHARS => {
            ws.write_string(r, col, s.chars().take(MAX_CELL_CHARS).collect::<String>())?;
        }
        Cell::Text(s) => {
            ws.write_string(r, col, s)?;
        }
        Cell::Number(n) => {
            ws.write_number(r, col, n)?;
        }
        Cell::Time(t) => match ExcelDateTime::from_timestamp(t.and_utc().timestamp()) {
            Ok(d) => {
                ws.write_datetime_with_format(r, col, &d, time)?;
            }
            // Outside Excel's years (1900–9999): the time as text.
            Err(_) => {
                ws.write_string(r, col, Cell::Time(t).as_csv())?;
            }
        },
    }
    Ok(())
}

/// Writes the whole list to a temporary XLSX file and returns it, read from its start.
pub async fn xlsx_file(
    store: Store,
    workspace_id: String,
    filter: FeedbackFilter,
    cx: ExportContext,
) -> Result<std::fs::File, ExportError> {
    // Two pages in flight at most: the reader waits while the writer is behind.
    let (tx, mut rx) = mpsc::channel::<(Vec<Feedback>, OriginNames)>(2);
    let writer = tokio::task::spawn_blocking(move || -> Result<std::fs::File, ExportError> {
        let mut sheets = Sheets::new()?;
        while let Some((rows, names)) = rx.blocking_recv() {
            sheets.write_page(&rows, &names, &cx)?;
        }
        let mut file = tempfile::tempfile()?;
        sheets.book.save_to_writer(&mut file)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    });
    let mut pages = Pages::new(store, workspace_id, filter);
    let read = async {
        while let Some(page) = pages.next().await? {
            if tx.send(page).await.is_err() {
                // The writer stopped; its error is the one to report.
                break;
            }
        }
        Ok::<_, ExportError>(())
    }
    .await;
    drop(tx);
    let written = writer
        .await
        .map_err(|e| ExportError::Writer(e.to_string()))?;
    read?;
    written
}
