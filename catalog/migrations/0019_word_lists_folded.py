# Accent folding in search (catalog/selectors/search_text.py, `fold`): each word list gets an
# index of its words' folded forms, holding only the words that fold to something else (a
# few percent of them), so that a term finds the accented words it folds alike with
# ("beyonce": beyoncé) by one range of a small index, and a typo its accented words by
# trigrams ("motly": mötley). The query must hold the very same
# expression: `FOLD_FROM` / `FOLD_TO` below are frozen copies of search_text's, which
# tests/catalog/test_search_accents.py compares; a change there needs a new migration.
from django.db import migrations

from catalog.migrations._search_sql import PostgresOnlySQL

FOLD_FROM = "øłđıàáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏőŕŗřśŝşšţťũūŭůűųŵŷźżžơưǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǵǹǻȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳḁḃḅḇḉḋḍḏḑḓḕḗḙḛḝḟḡḣḥḧḩḫḭḯḱḳḵḷḹḻḽḿṁṃṅṇṉṋṍṏṑṓṕṗṙṛṝṟṡṣṥṧṩṫṭṯṱṳṵṷṹṻṽṿẁẃẅẇẉẋẍẏẑẓẕẖẗẘẙạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
FOLD_TO = "oldiaaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuuuuuuwyzzzouaiouuuuuaagkoojgnaaaeeiioorruusthaeooooyabbbcdddddeeeeefghhhhhiikkkllllmmmnnnnoooopprrrrsssssttttuuuuuvvwwwwwxxyzzzhtwyaaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyy"
FOLDED = f"translate(word, '{FOLD_FROM}', '{FOLD_TO}')"
WORD_LISTS = ("catalog_searchword", "catalog_artistword")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0018_song_tempo_and_loudness_bounds"),
    ]

    operations = [
        PostgresOnlySQL(
            [
                *(f"CREATE INDEX {words}_folded ON {words} (({FOLDED})) WHERE word <> {FOLDED}" for words in WORD_LISTS),
                # The typo corrections' candidates by trigrams, the accents folded.
                *(
                    f"CREATE INDEX {words}_folded_trgm ON {words} USING gin (({FOLDED}) gin_trgm_ops)"
                    f" WHERE word <> {FOLDED}"
                    for words in WORD_LISTS
                ),
            ],
            [
                *(f"DROP INDEX IF EXISTS {words}_folded" for words in WORD_LISTS),
                *(f"DROP INDEX IF EXISTS {words}_folded_trgm" for words in WORD_LISTS),
            ],
        ),
    ]
