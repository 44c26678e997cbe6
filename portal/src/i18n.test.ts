import { describe, expect, it } from "vitest";
import { RESOURCES, directionOf } from "./i18n";

type Tree = { [key: string]: string | Tree };
const PLURAL = /_(zero|one|two|few|many|other)$/;

function flatten(tree: Tree, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === "string" ? [`${prefix}${key}`] : flatten(value, `${prefix}${key}.`),
  );
}

const english = new Set(flatten(RESOURCES.en as Tree).map((key) => key.replace(PLURAL, "")));

describe("translations", () => {
  for (const [language, strings] of Object.entries(RESOURCES)) {
    it(`${language} has every key English has, and no other`, () => {
      const keys = flatten(strings as Tree);
      expect(new Set(keys.map((key) => key.replace(PLURAL, "")))).toEqual(english);
      const text = (key: string) => key.split(".").reduce<Tree | string>((node, part) => (node as Tree)[part], strings as Tree);
      for (const key of keys) expect(String(text(key)).trim()).not.toBe("");
    });

    it(`${language} has every plural form its language needs`, () => {
      const keys = new Set(flatten(strings as Tree));
      const plurals = [...new Set([...keys].filter((key) => PLURAL.test(key)).map((key) => key.replace(PLURAL, "")))];
      const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
      for (const base of plurals) for (const category of categories) expect(keys).toContain(`${base}_${category}`);
    });
  }

  it("every key the source uses exists in English", () => {
    const sources = import.meta.glob(["./**/*.{ts,tsx}", "!./**/*.test.*", "!./gql/**"], { query: "?raw", import: "default", eager: true });
    const used = Object.values(sources).flatMap((text) =>
      [...String(text).matchAll(/\bt\("([a-zA-Z]+\.[a-zA-Z.]+)"|label: "([a-zA-Z]+\.[a-zA-Z]+)"/g)].map((m) => m[1] ?? m[2]),
    );
    expect(used.length).toBeGreaterThan(100);
    for (const key of used) expect(english).toContain(key);
  });

  it("reads Arabic right to left and the others left to right", () => {
    expect(directionOf("ar")).toBe("rtl");
    for (const language of ["en", "fr", "es", "zh", "ru"]) expect(directionOf(language)).toBe("ltr");
  });
});
