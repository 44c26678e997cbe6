// The six UN official languages. Every interface string is a key in locales/*.json
// (a Vitest test fails on a key missing from any of them); Arabic reads right to left.
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import ar from "./locales/ar.json";
import en from "./locales/en.json";
import es from "./locales/es.json";
import fr from "./locales/fr.json";
import ru from "./locales/ru.json";
import zh from "./locales/zh.json";

export const LANGUAGES = [
  { code: "en", name: "English" },
  { code: "fr", name: "Français" },
  { code: "es", name: "Español" },
  { code: "ar", name: "العربية" },
  { code: "zh", name: "中文" },
  { code: "ru", name: "Русский" },
] as const;

export const RESOURCES = { en, fr, es, ar, zh, ru };

export function directionOf(language: string): "rtl" | "ltr" {
  return language.startsWith("ar") ? "rtl" : "ltr";
}

const STORAGE_KEY = "onedoor.language";
const saved = typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY);
const browser = typeof navigator === "undefined" ? "en" : navigator.language.slice(0, 2);
const initial = [saved, browser].find((code) => code && code in RESOURCES) ?? "en";

void i18n.use(initReactI18next).init({
  resources: Object.fromEntries(Object.entries(RESOURCES).map(([code, strings]) => [code, { translation: strings }])),
  lng: initial,
  fallbackLng: "en",
  interpolation: { escapeValue: false }, // React escapes
});
i18n.on("languageChanged", (code) => localStorage.setItem(STORAGE_KEY, code));

export default i18n;
