//! Multi-row INSERTs: how many rows each takes (on SQLite a few fixed sizes, so that each
//! statement's text is prepared once; on PostgreSQL as many as fit), and their text.

use sea_orm::DbBackend;
use std::fmt::Write;

/// A column of a multi-row INSERT, and the type PostgreSQL is to read its parameter as when
/// the value's own type does not say (a JSON text for a `jsonb` column).
pub(super) type Column = (&'static str, Option<&'static str>);

/// `INSERT INTO "table" ("a", "b") VALUES (?, ?), (?, ?)…` for `rows` rows, then `tail`: the
/// parameters numbered on PostgreSQL (`$1`, with its cast where the column has one). Written
/// directly rather than by sea-query's builder, which for the feedback of a delivery of 1,000
/// items wrote every parameter through `fmt` and took some 17 % of the writer's
/// instructions (docs/performance.md, session 31).
pub(super) fn insert_sql(
    backend: DbBackend,
    table: &str,
    columns: &[Column],
    rows: usize,
    tail: &str,
) -> String {
    let per_row = columns.len() * if backend == DbBackend::Postgres { 8 } else { 3 };
    let mut sql = String::with_capacity(64 + columns.len() * 16 + rows * per_row + tail.len());
    let _ = write!(sql, "INSERT INTO \"{table}\" (");
    for (i, (name, _)) in columns.iter().enumerate() {
        let comma = if i == 0 { "" } else { ", " };
        let _ = write!(sql, "{comma}\"{name}\"");
    }
    sql.push_str(") VALUES ");
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for (i, (_, cast)) in columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            if backend != DbBackend::Postgres {
                sql.push('?');
                continue;
            }
            n += 1;
            let _ = match cast {
                Some(t) => write!(sql, "CAST(${n} AS {t})"),
                None => write!(sql, "${n}"),
            };
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// Row counts of the statements that insert `n` rows, each at most `max` (a power of two).
///
/// On SQLite, powers of two, largest first. A multi-row INSERT's text depends on its row
/// count, and each text is prepared once and kept by the connection: with statements of any
/// size the writer's batches, whose sizes vary, prepared almost every statement again (11 %
/// of the SQLite writer's time under survey submissions, `perf`), triggers and all. With these
/// sizes a table has at most 11 shapes, all kept. On PostgreSQL each statement is a round trip
/// to the server, which costs more than parsing it there: as many rows in each as fit.
pub(super) fn statement_sizes(
    backend: DbBackend,
    mut n: usize,
    max: usize,
) -> impl Iterator<Item = usize> {
    debug_assert!(max.is_power_of_two());
    let few_shapes = backend == DbBackend::Sqlite;
    std::iter::from_fn(move || {
        let size = match n {
            0 => return None,
            n if n >= max => max,
            n if few_shapes => 1 << n.ilog2(),
            n => n,
        };
        n -= size;
        Some(size)
    })
}

/// `rows` in slices of [`statement_sizes`].
pub(super) fn pieces<T>(backend: DbBackend, rows: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    statement_sizes(backend, rows.len(), max).map(move |k| {
        let (piece, after) = rest.split_at(k);
        rest = after;
        piece
    })
}

/// `rows` in vectors of [`statement_sizes`].
pub(super) fn pieces_owned<T>(
    backend: DbBackend,
    rows: Vec<T>,
    max: usize,
) -> impl Iterator<Item = Vec<T>> {
    let sizes = statement_sizes(backend, rows.len(), max);
    let mut rows = rows.into_iter();
    sizes.map(move |k| rows.by_ref().take(k).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn statements_take_a_few_sizes_and_every_row() {
        let sizes = |n| statement_sizes(DbBackend::Sqlite, n, 512).collect::<Vec<_>>();
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(37), [32, 4, 1]);
        assert_eq!(sizes(512), [512]);
        assert_eq!(sizes(1_300), [512, 512, 256, 16, 4]);
        let mut shapes = HashSet::new();
        for n in 0..5_000 {
            let s = sizes(n);
            assert_eq!(s.iter().sum::<usize>(), n);
            assert!(s.iter().all(|k| k.is_power_of_two() && *k <= 512));
            shapes.extend(s);
        }
        assert_eq!(shapes.len(), 10);
        let rows: Vec<u32> = (0..37).collect();
        let sliced: Vec<u32> = pieces(DbBackend::Sqlite, &rows, 16)
            .flatten()
            .copied()
            .collect();
        assert_eq!(sliced, rows);
        let owned: Vec<Vec<u32>> = pieces_owned(DbBackend::Sqlite, rows.clone(), 16).collect();
        assert_eq!(
            owned.iter().map(Vec::len).collect::<Vec<_>>(),
            [16, 16, 4, 1]
        );
        assert_eq!(owned.concat(), rows);
    }

    #[test]
    fn insert_text_numbers_and_casts_on_postgres_only() {
        let columns: [Column; 2] = [("id", None), ("analysis", Some("jsonb"))];
        assert_eq!(
            insert_sql(DbBackend::Sqlite, "t", &columns, 2, " RETURNING \"id\""),
            "INSERT INTO \"t\" (\"id\", \"analysis\") VALUES (?, ?), (?, ?) RETURNING \"id\""
        );
        assert_eq!(
            insert_sql(DbBackend::Postgres, "t", &columns, 2, ""),
            "INSERT INTO \"t\" (\"id\", \"analysis\") VALUES ($1, CAST($2 AS jsonb)), \
             ($3, CAST($4 AS jsonb))"
        );
    }

    #[test]
    fn postgres_statements_take_as_many_rows_as_fit() {
        let sizes = |n| statement_sizes(DbBackend::Postgres, n, 512).collect::<Vec<_>>();
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(37), [37]);
        assert_eq!(sizes(1_300), [512, 512, 276]);
        let rows: Vec<u32> = (0..37).collect();
        let owned: Vec<Vec<u32>> = pieces_owned(DbBackend::Postgres, rows.clone(), 16).collect();
        assert_eq!(owned.iter().map(Vec::len).collect::<Vec<_>>(), [16, 16, 5]);
        assert_eq!(owned.concat(), rows);
    }
}
