import { describe, expect, it } from "vitest";
import { lessonInput, listOf, type LessonDraft } from "./lessonEditor";

describe("the lesson form's input", () => {
  it("reads comma-separated tags as distinct trimmed values, country codes upper-cased", () => {
    expect(listOf(" ml, sn ,ML,, ", true)).toEqual(["ML", "SN"]);
    expect(listOf("Sahel, West Africa , Sahel")).toEqual(["Sahel", "West Africa"]);
    expect(listOf("  ")).toEqual([]);
  });

  it("sends what was typed, with the tags as lists", () => {
    const draft: LessonDraft = {
      title: "Voter lists",
      summary: "Clean them early",
      body: "# Why\n\nBecause.",
      themes: ["ELECTORAL_ASSISTANCE"],
      countries: "ml, bf",
      regions: "Sahel",
      sensitivity: "PUBLIC",
      language: "fr",
    };
    expect(lessonInput(draft)).toEqual({
      title: "Voter lists",
      summary: "Clean them early",
      body: "# Why\n\nBecause.",
      themes: ["ELECTORAL_ASSISTANCE"],
      countries: ["ML", "BF"],
      regions: ["Sahel"],
      sensitivity: "PUBLIC",
      language: "fr",
    });
  });
});
