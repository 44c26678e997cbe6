// Small pieces every screen uses: errors as translated messages, loading, status badges.
import type { CombinedError } from "urql";
import { useTranslation } from "react-i18next";
import { errorMessages } from "./format";

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
