// How a search hit's snippet reads in the Search Documents list (client/searchDetail.ts).
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { searchDetail } from "../client/searchDetail";

test("a table of contents' dot leaders are folded, and the snippet is marked as one", () => {
    const detail = searchDetail("Contents Introduction .......... 3 Irrigation project . . . . . . . . 12 Composting ………… 15", "irrigation");
    assert.equal(detail, "Table of contents: Contents Introduction … 3 Irrigation project … 12 Composting … 15");
});

test("one dotted run (an ellipsis in prose) is not a table of contents", () => {
    assert.equal(searchDetail("We waited.... the pump ran.", "pump"), "We waited.... the pump ran.");
});

test("text far before the query is cut to a few words, so the highlighted match is on screen", () => {
    const snippet = "The committee met many times during the year to discuss budgets, and then the irrigation project cost 18,420 euros in total.";
    assert.equal(searchDetail(snippet, "irrigation project cost"), "…and then the irrigation project cost 18,420 euros in total.");
    // words of the query, apart: cut before the first of them that occurs
    assert.equal(searchDetail(snippet, "euros irrigation"), "…and then the irrigation project cost 18,420 euros in total.");
});

test("a match near the start, or none, leaves the snippet as it is", () => {
    assert.equal(searchDetail("A short note about compost heaps.", "compost"), "A short note about compost heaps.");
    assert.equal(searchDetail("Nothing here matches the words typed at all, however long this text happens to be.", "quince"), "Nothing here matches the words typed at all, however long this text happens to be.");
});
