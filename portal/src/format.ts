// Dates and numbers in the reader's language (Intl), and API error codes as messages.
import type { CombinedError } from "urql";
import type { TFunction } from "i18next";

export function formatDateTime(value: string | null | undefined, language: string): string {
  if (!value) return "";
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));
}

export function formatDate(value: string | null | undefined, language: string): string {
  if (!value) return "";
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(value));
}

export function formatNumber(value: number, language: string, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(language, options).format(value);
}

export function errorCodes(error: CombinedError | undefined): string[] {
  if (!error) return [];
  if (error.networkError && error.graphQLErrors.length === 0) return ["NETWORK"];
  return error.graphQLErrors.map((e) => String(e.extensions?.code ?? "INTERNAL"));
}

/** The translated message of each error code; an unknown code reads as a generic failure. */
export function errorMessages(t: TFunction, error: CombinedError | undefined): string[] {
  return errorCodes(error).map((code) => t(`errors.${code}`, { defaultValue: t("errors.INTERNAL") }));
}
