// The embedded sign-in: choose a role and its binding, as `onedoor token` does.
// The gateway mints the token; it only offers this while the dev issuer is in use.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate } from "react-router-dom";
import { Field } from "../components";
import { ROLES, SignInError, useSession, type Role } from "../session";

const BINDING: Record<Role, "client" | "desk" | "products" | "partner" | null> = {
  client: "client",
  desk_officer: "desk",
  provider: "products",
  partner: "partner",
  hq_analyst: null,
  admin: null,
};

export function SignInPage() {
  const { t } = useTranslation();
  const { signIn, ended, config, signInWithIssuer } = useSession();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  const [role, setRole] = useState<Role>("client");
  const [binding, setBinding] = useState("");
  const [subject, setSubject] = useState("");
  const [error, setError] = useState<string | null>(null);
  const kind = BINDING[role];

  async function onSubmit(event: React.FormEvent) {
    event.preventDefault();
    setError(null);
    const value = binding.trim();
    const tenant = kind === "products" ? { products: value.split(",").map((p) => p.trim()).filter(Boolean) } : kind ? { [kind]: value } : {};
    try {
      // Signed in, the app's /signin route sends the person on to where they were going.
      await signIn({ role, subject: subject.trim() || undefined, ...tenant });
    } catch (failure) {
      setError(failure instanceof SignInError ? failure.code : "NETWORK");
    }
  }

  if (!config) return null;
  if (config.mode === "oidc") {
    return (
      <section className="sign-in">
        <h1>{t("signIn.title")}</h1>
        {ended === "expired" && <p className="notice" role="status">{t("signIn.expired")}</p>}
        <p>{t("signIn.organisation")}</p>
        {error && <p className="error" role="alert">{t(`errors.${error}`, { defaultValue: t("errors.INTERNAL") })}</p>}
        <button type="button" onClick={() => signInWithIssuer(from).catch(() => setError("NETWORK"))}>
          {t("signIn.withIssuer")}
        </button>
      </section>
    );
  }
  return (
    <section className="sign-in">
      <h1>{t("signIn.title")}</h1>
      {ended === "expired" && <p className="notice" role="status">{t("signIn.expired")}</p>}
      <p>{t("signIn.embedded")}</p>
      <form onSubmit={onSubmit}>
        <Field id="sign-in-role" label={t("signIn.role")}>
          <select id="sign-in-role" value={role} onChange={(e) => { setRole(e.target.value as Role); setBinding(""); }}>
            {ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}
          </select>
        </Field>
        {kind && (
          <Field id="sign-in-binding" label={t(`signIn.binding.${kind}`)}>
            <input id="sign-in-binding" value={binding} required onChange={(e) => setBinding(e.target.value)} />
          </Field>
        )}
        <Field id="sign-in-subject" label={t("signIn.subject")}>
          <input id="sign-in-subject" value={subject} onChange={(e) => setSubject(e.target.value)} />
        </Field>
        {error && <p className="error" role="alert">{t(`errors.${error}`, { defaultValue: t("errors.INTERNAL") })}</p>}
        <button type="submit">{t("signIn.submit")}</button>
      </form>
    </section>
  );
}

/** Where the OpenID provider sends the person back (with a code, never a token). */
export function AuthCallbackPage() {
  const { t } = useTranslation();
  const { completeSignIn, config } = useSession();
  const navigate = useNavigate();
  const [failed, setFailed] = useState(false);
  const started = useRef(false); // the code can be redeemed once only (StrictMode runs effects twice)
  useEffect(() => {
    if (!config || started.current) return;
    started.current = true;
    completeSignIn().then(
      (from) => navigate(from ?? "/", { replace: true }),
      () => setFailed(true),
    );
  }, [config, completeSignIn, navigate]);
  return (
    <section>
      <h1>{t("signIn.title")}</h1>
      {failed ? <p className="error" role="alert">{t("errors.UNAUTHENTICATED")}</p> : <p>{t("common.loading")}</p>}
    </section>
  );
}
