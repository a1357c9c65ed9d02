"""Reading CSV, Excel and Parquet files into all-text frames with canonical headers.

The rules (shared by every kind, and by other layers' own kinds):

- The format comes from the file extension: `.csv`/`.txt` (CSV), `.xlsx`/`.xlsm`/`.xls`
  (Excel, first sheet), `.parquet`/`.pq` (Parquet).
- CSV is decoded as UTF-8 (with or without BOM) when the bytes are valid UTF-8,
  otherwise as GB18030 (a superset of GBK, what office software exports). The
  separator is the most frequent of `,`, tab and `;` in the header line.
- Headers are matched to columns by English name, Chinese name, an alias or the
  template's bilingual form `中文 / English`, ignoring case, spaces and a leading
  `*`. Unknown columns are ignored; a missing required column refuses the file.
- CSV/Excel text cells are stripped of surrounding spaces (by ingest's SQL pass;
  `read_tabular` strips all white space); empty cells are NULL (Parquet strings
  are taken as they are, empty → NULL).
- `row_number` is the 1-based data row (header excluded, so spreadsheet row =
  row_number + 1); rows whose cells are all empty are skipped (not counted).
- The template's example row (`gridscore template`: every cell as the spec's
  example, also after Excel re-typed it on "save as CSV") is never loaded: it is
  dropped and reported (`RawFile.examples`); a file with nothing else is refused.

Anything that stops the file from being read as a table raises `IngestError`.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from warehouse.errors import IngestError
from warehouse.ingest.specs import ColumnSpec, KindSpec

ROW_NUMBER = "row_number"

CSV_EXT = {".csv", ".txt", ".tsv"}
EXCEL_EXT = {".xlsx", ".xlsm", ".xls"}
PARQUET_EXT = {".parquet", ".pq"}

_SPACES = re.compile(r"[\s\u3000_\-]+")


def normalise_header(text: str) -> str:
    """Header text reduced for matching: lower case, no spaces/underscores/dashes/`*`.

    Examples:
        >>> normalise_header(" Grid_ID* ")
        'gridid'
        >>> normalise_header("网格 编码")
        '网格编码'
    """
    return _SPACES.sub("", str(text)).strip("*＊").lower()


def header_lookup(spec: KindSpec) -> dict[str, str]:
    """Normalised accepted header → canonical column name."""
    lookup: dict[str, str] = {}
    for col in spec.columns:
        for text in (col.name, col.zh, *col.aliases, f"{col.zh}/{col.name}"):
            lookup[normalise_header(text)] = col.name
    return lookup


def map_headers(headers: list[str], spec: KindSpec, *, file: str) -> dict[str, str]:
    """Map the file's headers to canonical names (file header → column).

    Raises:
        IngestError: two headers name the same column, or a required column is missing.
    """
    lookup = header_lookup(spec)
    mapping: dict[str, str] = {}
    for header in headers:
        key = normalise_header(header)
        name = lookup.get(key)
        if name is None and "/" in key:
            parts = [lookup.get(p) for p in key.split("/")]
            found = {p for p in parts if p is not None}
            name = found.pop() if len(found) == 1 else None
        if name is None:
            continue
        if name in mapping.values():
            raise IngestError(f"{file}: column {name} appears twice (header {header!r})")
        mapping[header] = name
    missing = [c for c in spec.required if c not in mapping.values()]
    if missing:
        wanted = ", ".join(f"{c} ({spec.column(c).zh})" for c in missing)
        raise IngestError(f"{file}: missing required column(s) {wanted} for {spec.kind}")
    return mapping


def file_format(path: Path) -> str:
    """"csv", "excel" or "parquet" from the extension; `IngestError` otherwise."""
    ext = path.suffix.lower()
    if ext in CSV_EXT:
        return "csv"
    if ext in EXCEL_EXT:
        return "excel"
    if ext in PARQUET_EXT:
        return "parquet"
    raise IngestError(f"{path.name}: unsupported file type {ext or '(none)'}; use .csv, .xlsx or .parquet")


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file bytes (read in chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_csv_bytes(data: bytes, *, file: str) -> None:
    """Refuse an empty or binary CSV file (no copy of the bytes).

    Raises:
        IngestError: empty (after a BOM), only white space, or NUL bytes near the start.
    """
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if len(data) == start or data[start:start + 65536].isspace() and data[start:].isspace():
        raise IngestError(f"{file}: file is empty")
    if b"\x00" in data[start:start + 65536]:
        raise IngestError(f"{file}: not a text CSV file (binary content; wrong encoding such as UTF-16?)")


def decode_csv_bytes(data: bytes, *, file: str) -> tuple[bytes, str]:
    """The CSV bytes as UTF-8 and the encoding they were in ("utf-8" or "gb18030").

    Raises:
        IngestError: empty, binary, or neither UTF-8 nor GB18030.
    """
    check_csv_bytes(data, file=file)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
        return data, "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").encode("utf-8"), "gb18030"
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{file}: cannot decode the file as UTF-8 or GBK/GB18030 (byte {exc.start})"
        ) from None


def _separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", "\t", ";")}
    return max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","


def _header_line(data: bytes) -> bytes:
    """The first line of `data` without copying the rest (BOM removed)."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    end = data.find(b"\n", start)
    return data[start:end if end >= 0 else len(data)]


def _polars_csv(data: bytes, separator: str) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(data), separator=separator, infer_schema=False)


def _read_csv_text(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    check_csv_bytes(data, file=path.name)
    try:
        header = _header_line(data).decode("utf-8")
    except UnicodeDecodeError:
        header = None
    if header is not None:
        # Fast path for UTF-8: polars validates every field as UTF-8 and refuses any
        # invalid byte, but decodes the header row leniently (U+FFFD for a bad byte;
        # after blank lines the header is not the first line). So a read whose column
        # names have no U+FFFD is the read of the decoded text, without decoding and
        # copying the whole file in Python. Anything else takes the careful path below,
        # which gives the reason (or the same frame, for a header that really has U+FFFD).
        try:
            frame = _polars_csv(data, _separator(header))
            if not any("\ufffd" in name for name in frame.columns):
                return frame
        except pl.exceptions.PolarsError:
            pass
    data, _encoding = decode_csv_bytes(data, file=path.name)
    first = _header_line(data).decode("utf-8")
    try:
        return _polars_csv(data, _separator(first))
    except pl.exceptions.NoDataError:
        raise IngestError(f"{path.name}: file is empty") from None
    except pl.exceptions.PolarsError as exc:
        raise IngestError(f"{path.name}: not a readable CSV file ({_first_line(exc)})") from None


def _read_excel_text(path: Path) -> pl.DataFrame:
    if path.suffix.lower() != ".xls" and not zipfile.is_zipfile(path):
        raise IngestError(f"{path.name}: not an Excel .xlsx workbook (damaged or truncated file?)")
    try:
        return pl.read_excel(
            path,
            sheet_id=1,
            engine="calamine",
            infer_schema_length=0,
            drop_empty_rows=False,
            raise_if_empty=True,
        )
    except pl.exceptions.NoDataError:
        raise IngestError(f"{path.name}: the first sheet is empty") from None
    except Exception as exc:  # fastexcel raises its own error classes
        raise IngestError(f"{path.name}: cannot read the workbook ({_first_line(exc)})") from None


def _read_parquet_any(path: Path) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except Exception as exc:
        raise IngestError(f"{path.name}: not a readable Parquet file ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def parquet_headers(path: Path) -> dict[str, pl.DataType]:
    """Column names and types of a Parquet file without reading its data."""
    try:
        return dict(pl.read_parquet_schema(path))
    except Exception as exc:
        raise IngestError(f"{path.name}: not a readable Parquet file ({_first_line(exc)})") from None


@dataclass(frozen=True)
class RawFile:
    """A file read as a table: its frame (canonical columns + row_number) and identity.

    `examples` are the data row numbers of template example rows that were dropped.
    """

    path: Path
    format: str
    frame: pl.DataFrame
    examples: tuple[int, ...] = ()


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y/%m/%d", "%Y%m%d")
_TRUE = {"是", "yes", "true", "1", "y"}
_FALSE = {"否", "no", "false", "0", "n"}


def _as_moment(text: str) -> datetime | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _example_cell(value: object, col: ColumnSpec) -> bool:
    """True when a cell holds the column's example value, in any spelling ingest accepts.

    Excel re-types text on "save as CSV" (2025-03-01 → 2025/3/1, 10 → 10.0), and an
    enumerated value may be its code or its label, so the comparison is by meaning.
    """
    text = "" if value is None else str(value).strip()
    example = col.example.strip()
    if text == example:
        return True
    if not text or not example:
        return False
    if col.enum is not None:
        codes = {label: code for code, label in col.enum.items()}
        return codes.get(text, text) == codes.get(example, example)
    if col.type in ("date", "datetime"):
        seen = value if isinstance(value, datetime | date) else _as_moment(text)
        if isinstance(seen, date) and not isinstance(seen, datetime):
            seen = datetime(seen.year, seen.month, seen.day)
        return seen is not None and seen == _as_moment(example)
    if col.type in ("int", "float"):
        try:
            return float(text) == float(example)
        except ValueError:
            return False
    if col.type == "bool":
        low, ex = text.lower(), example.lower()
        return (low in _TRUE and ex in _TRUE) or (low in _FALSE and ex in _FALSE)
    return False


def example_rows(frame: pl.DataFrame, spec: KindSpec, present: list[str]) -> list[int]:
    """Row numbers of rows that are the template's example row (every present cell = example).

    Candidates are found by the first key column's text (vectorised); only those are
    compared cell by cell, so a large file costs one filter.
    """
    with_example = [c for c in spec.columns if c.name in present]
    if not with_example or not any(c.example for c in with_example):
        return []
    anchor = next((spec.column(k) for k in spec.key if k in present and spec.column(k).example), None)
    anchor = anchor or next(c for c in with_example if c.example)
    candidates = frame.filter(pl.col(anchor.name).cast(pl.String).str.strip_chars() == anchor.example.strip())
    return [row[ROW_NUMBER] for row in candidates.iter_rows(named=True)
            if all(_example_cell(row[c.name], c) for c in with_example)]


def read_raw(path: str | Path, spec: KindSpec) -> RawFile:
    """Read `path` for `spec`: canonical columns (missing optional ones as NULL) + row_number.

    CSV and Excel columns are text, not yet stripped (ingest strips them inside its
    SQL pass, `read_tabular` in polars); Parquet keeps its column types (ingest
    casts them in SQL, avoiding a text round trip). Rows with no cell at all are
    dropped. Raises `IngestError` if unreadable.
    """
    path = Path(path)
    if not path.exists():
        raise IngestError(f"file not found: {path}")
    fmt = file_format(path)
    if fmt == "csv":
        frame = _read_csv_text(path)
    elif fmt == "excel":
        frame = _read_excel_text(path)
    else:
        frame = _read_parquet_any(path)
    mapping = map_headers([str(c) for c in frame.columns], spec, file=path.name)
    renamed = frame.select([pl.col(src).alias(dst) for src, dst in mapping.items()])
    missing = [c for c in spec.names if c not in renamed.columns]
    renamed = renamed.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in missing])
    renamed = renamed.select(spec.names).with_row_index(ROW_NUMBER, offset=1)
    renamed = renamed.with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    present = [c for c in spec.names if c not in missing]
    if fmt != "parquet":
        renamed = renamed.filter(~pl.all_horizontal(pl.col(present).is_null()))
    if renamed.height == 0:
        raise IngestError(f"{path.name}: no data rows")
    examples = example_rows(renamed, spec, present)
    if examples:
        renamed = renamed.filter(~pl.col(ROW_NUMBER).is_in(examples))
        if renamed.height == 0:
            row = examples[0]
            raise IngestError(
                f"{path.name}: 第 {row} 行（表格第 {row + 1} 行）是模板的示例行，不导入；文件中没有其他数据行 / "
                f"data row {row} (spreadsheet row {row + 1}) is the template's example row and is not loaded; "
                "the file has no other data rows")
    return RawFile(path=path, format=fmt, frame=renamed, examples=tuple(examples))


def read_tabular(path: str | Path, spec: KindSpec) -> pl.DataFrame:
    """Read a CSV/Excel/Parquet file as all-text columns named as in `spec`, plus row_number.

    The reusable front half of ingest, for other layers' own kinds (e.g. phone or
    paper survey answers): same formats, encodings and header rules as
    `gridscore ingest`. Validation is left to the caller.

    Args:
        path: the file.
        spec: the kind, giving canonical names, Chinese headers and required columns.

    Returns:
        A frame with `row_number` (Int64, 1-based data row) then one String column
        per spec column (NULL where the file has no such column).

    Raises:
        IngestError: unreadable file, wrong encoding, missing required column, no rows.
    """
    raw = read_raw(path, spec)
    frame = raw.frame.with_columns(pl.col(c).cast(pl.String) for c in spec.names)
    if raw.format != "parquet":
        frame = frame.with_columns(pl.col(spec.names).str.strip_chars())
    frame = frame.with_columns(pl.when(pl.col(spec.names).str.len_bytes() > 0).then(pl.col(spec.names)))
    if raw.format != "parquet":
        frame = frame.filter(~pl.all_horizontal(pl.col(spec.names).is_null()))
    if frame.height == 0:
        raise IngestError(f"{raw.path.name}: no data rows")
    return frame
