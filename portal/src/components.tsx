// Small pieces every screen uses: errors as translated messages, loading, status badges.
import { useState } from "react";
import type { CombinedError } from "urql";
import { useTranslation } from "react-i18next";
import { errorMessages } from "./format";
import { DownloadError, downloadCsv } from "./exports";

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
