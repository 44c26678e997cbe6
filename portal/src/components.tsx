// Small pieces every screen uses: errors as translated messages, loading, status badges.
import { useState } from "react";
import type { CombinedError } from "urql";
import { useTranslation } from "react-i18next";
import { errorMessages } from "./format";
import { DownloadError, downloadCsv } from "./exports";
import { LANGUAGES } from "./i18n";

export function ErrorList({ error }: { error?: CombinedError }) {
  const { t } = useTranslation();
  const messages = errorMessages(t, error);
  if (messages.length === 0) return null;
  return (
    <div className="error" role="alert">
      {messages.map((message, index) => (
        <p key={index}>{message}</p>
      ))}
    </div>
  );
}

export function Loading({ busy }: { busy: boolean }) {
  const { t } = useTranslation();
  return busy ? <p aria-live="polite">{t("common.loading")}</p> : null;
}

export function Status({ value }: { value: string }) {
  const { t } = useTranslation();
  return <span className={`status status-${value.toLowerCase()}`}>{t(`status.${value.toUpperCase()}`)}</span>;
}

export function Field({ id, label, children }: { id: string; label: string; children: React.ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}

/** A button that downloads one CSV export with the given filters (exports.ts). */
export function CsvDownload({ service, name, params, label }: { service: string; name: string; params: Record<string, string>; label: string }) {
  const { t } = useTranslation();
  const [failed, setFailed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    setFailed(null);
    try {
      await downloadCsv(service, name, params);
    } catch (error) {
      setFailed(error instanceof DownloadError ? error.code : "INTERNAL");
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="secondary" disabled={busy} onClick={download}>{label}</button>
      {failed && <span role="alert" className="error">{t(`errors.${failed}`, { defaultValue: t("errors.INTERNAL") })}</span>}
    </>
  );
}

/** The language a request or a lesson is written in (named in itself); `anyLabel` adds
 * an empty choice, for filters. */
export function ContentLanguageSelect({ id, value, onChange, anyLabel }: { id: string; value: string; onChange(code: string): void; anyLabel?: string }) {
  const { t } = useTranslation();
  return (
    <Field id={id} label={t("common.writtenIn")}>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {LANGUAGES.map((language) => (
          <option key={language.code} value={language.code} lang={language.code}>
            {language.name}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A content language's own name, for showing it. */
export function languageName(code: string): string {
  return LANGUAGES.find((language) => language.code === code)?.name ?? code;
}
