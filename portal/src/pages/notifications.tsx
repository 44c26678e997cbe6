// Notifications: the bell in the header (unread count, the latest ones, mark read, live
// over the `notificationReceived` subscription) and the preferences screen. What each
// person may be told is the notifications service's decision; this only shows it.
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { EmailLanguage, NotificationKind } from "../gql/graphql";
import { ErrorList, Field, Loading } from "../components";
import { formatDateTime } from "../format";
import { LANGUAGES } from "../i18n";
import { NOTIFICATION_KINDS } from "../roles";
import { useSession } from "../session";
import { FollowList } from "./follows";

const Latest = graphql(`
  query LatestNotifications {
    notifications(first: 10) {
      unreadCount
      edges { node { id kind title params link read createdAt } }
    }
  }
`);

const Received = graphql(`
  subscription NotificationReceived {
    notificationReceived { id }
  }
`);

const MarkRead = graphql(`
  mutation MarkNotificationRead($id: ID!) {
    markNotificationRead(id: $id) { id read }
  }
`);

const MarkAllRead = graphql(`
  mutation MarkAllNotificationsRead {
    markAllNotificationsRead { marked unreadCount }
  }
`);

const Preferences = graphql(`
  query NotificationPreferences {
    notificationPreferences { kinds emailEnabled emailAddress language version }
  }
`);

const UpdatePreferences = graphql(`
  mutation UpdateNotificationPreferences($v: Int!, $input: NotificationPreferencesInput!) {
    updateNotificationPreferences(expectedVersion: $v, input: $input) {
      kinds emailEnabled emailAddress language version
    }
  }
`);

type Params = Record<string, string>;

/** One notification as a sentence in the reader's language. */
function useSentence() {
  const { t } = useTranslation();
  return (kind: string, title: string, params: Params) =>
    t(`notifications.kind.${kind}`, {
      title,
      status: params.to_status ? t(`status.${params.to_status.toUpperCase()}`) : "",
      clock: params.clock ? t(`clock.${params.clock}`) : "",
      product: params.product_code ?? "",
      rules: params.rules ?? "",
      decision: params.decision ? t(`approvals.outcome.${params.decision}`) : "",
      change: params.change ? t(`notifications.change.${params.change}`) : "",
      followed: params.followed_kind ? `${t(`notifications.followKind.${params.followed_kind.toUpperCase()}`)} ${params.followed_code ?? ""}` : "",
    });
}

export function NotificationBell() {
  const { t, i18n } = useTranslation();
  const sentence = useSentence();
  const [open, setOpen] = useState(false);
  const [latest, refetch] = useQuery({ query: Latest });
  const [live] = useSubscription({ query: Received });
  const [, markRead] = useMutation(MarkRead);
  const [allRead, markAllRead] = useMutation(MarkAllRead);
  const pushed = live.data?.notificationReceived.id;
  useEffect(() => {
    if (pushed) refetch({ requestPolicy: "network-only" });
  }, [pushed, refetch]);
  const page = latest.data?.notifications;
  const unread = page?.unreadCount ?? 0;
  const reload = () => refetch({ requestPolicy: "network-only" });
  return (
    <div className="notifications">
      <button type="button" aria-expanded={open} aria-controls="notification-list" onClick={() => setOpen(!open)}>
        {t("notifications.bell")} <span className="badge">{t("notifications.unread", { count: unread })}</span>
      </button>
      {open && (
        <section id="notification-list" aria-label={t("notifications.bell")} className="notification-list">
          <ErrorList error={latest.error ?? allRead.error} />
          {page?.edges.length === 0 && <p>{t("notifications.none")}</p>}
          <ul>
            {page?.edges.map(({ node }) => (
              <li key={node.id} className={node.read ? "read" : "unread"}>
                <Link to={node.link} onClick={() => setOpen(false)}>{sentence(node.kind, node.title, node.params as Params)}</Link>
                <small> {formatDateTime(node.createdAt, i18n.language)}</small>
                {!node.read && (
                  <button type="button" onClick={() => void markRead({ id: node.id }).then(reload)}>
                    {t("notifications.markRead")}
                  </button>
                )}
              </li>
            ))}
          </ul>
          <p>
            {unread > 0 && (
              <button type="button" onClick={() => void markAllRead({}).then(reload)}>
                {t("notifications.markAllRead")}
              </button>
            )}{" "}
            <Link to="/notifications/preferences" onClick={() => setOpen(false)}>{t("notifications.preferences")}</Link>
          </p>
        </section>
      )}
    </div>
  );
}

export function NotificationPreferencesPage() {
  const { t } = useTranslation();
  const { session } = useSession();
  const [result] = useQuery({ query: Preferences });
  const [saved, save] = useMutation(UpdatePreferences);
  const current = saved.data?.updateNotificationPreferences ?? result.data?.notificationPreferences;
  const [kinds, setKinds] = useState<NotificationKind[] | null>(null);
  const [emailEnabled, setEmailEnabled] = useState<boolean | null>(null);
  const [emailAddress, setEmailAddress] = useState<string | null>(null);
  const [language, setLanguage] = useState<EmailLanguage | null>(null);
  if (!current) {
    return (
      <section>
        <Loading busy={result.fetching} />
        <ErrorList error={result.error} />
      </section>
    );
  }
  const chosen = {
    kinds: kinds ?? current.kinds,
    emailEnabled: emailEnabled ?? current.emailEnabled,
    emailAddress: emailAddress ?? current.emailAddress ?? "",
    language: language ?? current.language,
  };
  const toggle = (kind: NotificationKind) =>
    setKinds(chosen.kinds.includes(kind) ? chosen.kinds.filter((k) => k !== kind) : [...chosen.kinds, kind]);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    void save({
      v: current.version,
      input: { ...chosen, emailAddress: chosen.emailAddress.trim() || null },
    });
  };
  return (
    <section>
      <h1>{t("notifications.preferences")}</h1>
      <form onSubmit={submit}>
        <fieldset>
          <legend>{t("notifications.kinds")}</legend>
          {(session ? NOTIFICATION_KINDS[session.claims.role] : []).map((kind) => (
            <div key={kind} className="check">
              <input id={`kind-${kind}`} type="checkbox" checked={chosen.kinds.includes(kind)} onChange={() => toggle(kind)} />
              <label htmlFor={`kind-${kind}`}>{t(`notifications.kindName.${kind}`)}</label>
            </div>
          ))}
        </fieldset>
        <div className="check">
          <input id="email-enabled" type="checkbox" checked={chosen.emailEnabled} onChange={(e) => setEmailEnabled(e.target.checked)} />
          <label htmlFor="email-enabled">{t("notifications.emailEnabled")}</label>
        </div>
        <Field id="email-address" label={t("notifications.emailAddress")}>
          <input id="email-address" type="email" value={chosen.emailAddress} onChange={(e) => setEmailAddress(e.target.value)} />
        </Field>
        <Field id="email-language" label={t("notifications.emailLanguage")}>
          <select id="email-language" value={chosen.language} onChange={(e) => setLanguage(e.target.value as EmailLanguage)}>
            {LANGUAGES.map((l) => (
              <option key={l.code} value={l.code.toUpperCase()} lang={l.code}>{l.name}</option>
            ))}
          </select>
        </Field>
        <ErrorList error={saved.error} />
        <button type="submit" disabled={saved.fetching}>{t("notifications.save")}</button>
        {saved.data && !saved.error && <p role="status">{t("notifications.saved")}</p>}
      </form>
      <FollowList />
    </section>
  );
}
