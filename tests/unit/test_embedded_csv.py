"""The embedded store's COPY source (kg/store/embedded_store.py): rows as CSV files, lists
as one escaped string. Encoding alone here; tests/integration/test_embedded_copy.py sends
the same values through a real Ladybug COPY and reads them back."""

from pathlib import Path

from kg.store.embedded_store import LIST_ESCAPE, LIST_ITEM, LIST_SEPARATOR, copy_statement, csv_field, csv_line


def test_null_is_an_unquoted_empty_field_and_the_empty_string_a_quoted_one():
    assert csv_field(None, "STRING") == ""
    assert csv_field("", "STRING") == '""'
    assert csv_field(None, "STRING[]") == ""
    assert csv_field([], "STRING[]") == '""'


def test_quotes_are_doubled_and_everything_else_stays_inside_the_quotes():
    assert csv_field('say "hi"', "STRING") == '"say ""hi"""'
    for text in ("a,b", "line\nbreak", "crlf\r\n", "ünïcødé ✓", "back\\slash", "'single'", "[x]", "NULL"):
        assert csv_field(text, "STRING") == f'"{text}"'


def test_booleans_and_integers_are_bare():
    assert csv_field(True, "BOOLEAN") == "true"
    assert csv_field(False, "BOOLEAN") == "false"
    assert csv_field(-(2**62), "INT64") == str(-(2**62))
    assert csv_field(0, "INT64") == "0"


def test_list_items_are_prefixed_joined_and_their_control_characters_escaped():
    assert csv_field(["a", ""], "STRING[]") == f'"{LIST_ITEM}a{LIST_SEPARATOR}{LIST_ITEM}"'
    assert csv_field([""], "STRING[]") == f'"{LIST_ITEM}"'
    tricky = LIST_ESCAPE + LIST_SEPARATOR + LIST_ITEM
    assert csv_field([tricky], "STRING[]") == f'"{LIST_ITEM}{LIST_ESCAPE}0{LIST_ESCAPE}1{LIST_ESCAPE}2"'
    assert csv_field(['q"uote'], "STRING[]") == f'"{LIST_ITEM}q""uote"'


def test_a_line_follows_the_column_types():
    line = csv_line(["id", None, True, 3, ["x"]], ["STRING", "STRING", "BOOLEAN", "INT64", "STRING[]"])
    assert line == f'"id",,true,3,"{LIST_ITEM}x"\n'


def test_the_copy_statement_reads_lists_as_text_and_quotes_the_file_path():
    text = copy_statement(
        "embedded/copy_rels.cypher",
        ["STRING", "STRING", "STRING[]"],
        Path("/tmp/it's\\here/1.csv"),
        type="USES",
        start_label="Workload",
        end_label="Secret",
    )
    statement = text.splitlines()[-1]
    assert statement.startswith("COPY USES FROM (LOAD WITH HEADERS (c0 STRING, c1 STRING, c2 STRING) FROM ")
    assert "'/tmp/it\\'s\\\\here/1.csv'" in statement
    assert "RETURN c0, c1, CASE WHEN c2 IS NULL" in statement
    assert statement.endswith("(from='Workload', to='Secret')")


def test_a_write_tunes_malloc_where_the_c_library_is_glibc():
    import platform

    from kg.store.embedded_store import lean_malloc, release_free_memory

    assert lean_malloc() is (platform.libc_ver()[0] == "glibc")
    release_free_memory()  # a no-op elsewhere, never an error
