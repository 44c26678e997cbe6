// The admin's view: the catalog and its forms, desks and the country map, the approval
// rules, the desks' business calendars, partners and frameworks, the webhook delivery log and the e-mail queue, each
// with retry.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { ErrorList, Field, Loading, Status } from "../components";
import { formatDate, formatDateTime } from "../format";
import { ApprovalRulesSection } from "./approvals";
import { DeskCalendarsSection } from "./calendars";

const AdminData = graphql(`
  query AdminData {
    products { code name providerUnit capacity active requestForm }
    desks { code name region countries }
    partners { code name active webhookUrl }
    frameworks { id name partners validFrom validTo }
    webhookDeliveries { id partnerCode event status attempts lastError createdAt }
  }
`);
const MapCountry = graphql(`
  mutation MapCountry($country: String!, $desk: String!) { mapCountryToDesk(country: $country, deskCode: $desk) { code } }
`);
const Retry = graphql(`
  mutation Retry($id: ID!) { retryWebhookDelivery(id: $id) { id status } }
`);
const MailQueue = graphql(`
  query MailQueue { mailQueue(status: [PENDING, DEAD]) { id toAddress language status attempts lastError createdAt } }
`);
const RetryMail = graphql(`
  mutation RetryMail($id: ID!) { retryMail(id: $id) { id status } }
`);

export function AdminPage() {
  const { t, i18n } = useTranslation();
  const [result, refetch] = useQuery({ query: AdminData });
  const [mapped, map] = useMutation(MapCountry);
  const [retried, retry] = useMutation(Retry);
  const [country, setCountry] = useState("");
  const [desk, setDesk] = useState("");
  const done = (r: { error?: unknown }) => !r.error && refetch({ requestPolicy: "network-only" });
  const data = result.data;
  return (
    <section>
      <h1>{t("admin.title")}</h1>
      <Loading busy={result.fetching} />
      <ErrorList error={result.error ?? mapped.error ?? retried.error} />
      <h2>{t("admin.catalog")}</h2>
      <ul>
        {data?.products.map((p) => (
          <li key={p.code}>
            <details>
              <summary>{p.name} ({p.code}) · {p.providerUnit} · {p.active ? t("admin.active") : t("admin.inactive")}</summary>
              <pre>{JSON.stringify(p.requestForm, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ul>
      <h2>{t("admin.desks")}</h2>
      <ul>{data?.desks.map((d) => <li key={d.code}><strong>{d.name}</strong> ({d.code}): {d.countries.join(", ")}</li>)}</ul>
      <form className="filters" onSubmit={async (e) => { e.preventDefault(); done(await map({ country, desk })); }}>
        <Field id="map-country" label={t("admin.country")}>
          <input id="map-country" value={country} onChange={(e) => setCountry(e.target.value)} />
        </Field>
        <Field id="map-desk" label={t("admin.desk")}>
          <select id="map-desk" value={desk} onChange={(e) => setDesk(e.target.value)}>
            <option value="">{t("form.choose")}</option>
            {data?.desks.map((d) => <option key={d.code} value={d.code}>{d.name}</option>)}
          </select>
        </Field>
        <button type="submit" disabled={!country || !desk}>{t("admin.map")}</button>
      </form>
      <ApprovalRulesSection />
      <DeskCalendarsSection />
      <h2>{t("admin.partners")}</h2>
      <ul>{data?.partners.map((p) => <li key={p.code}>{p.name} ({p.code}) {p.webhookUrl ?? ""}</li>)}</ul>
      <h2>{t("admin.frameworks")}</h2>
      <ul>{data?.frameworks.map((f) => <li key={f.id}>{f.name}: {f.partners.join(", ")} · {formatDate(f.validFrom, i18n.language)} – {formatDate(f.validTo, i18n.language)}</li>)}</ul>
      <h2>{t("admin.webhooks")}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t("admin.partner")}</th>
            <th scope="col">{t("admin.event")}</th>
            <th scope="col">{t("requests.status")}</th>
            <th scope="col">{t("admin.attempts")}</th>
            <th scope="col">{t("requests.submitted")}</th>
            <th scope="col"><span className="visually-hidden">{t("admin.retry")}</span></th>
          </tr>
        </thead>
        <tbody>
          {data?.webhookDeliveries.map((w) => (
            <tr key={w.id}>
              <td>{w.partnerCode}</td>
              <td>{w.event}</td>
              <td><Status value={w.status} /> {w.lastError}</td>
              <td>{w.attempts}</td>
              <td>{formatDateTime(w.createdAt, i18n.language)}</td>
              <td>{w.status !== "DELIVERED" && <button type="button" onClick={async () => done(await retry({ id: w.id }))}>{t("admin.retry")}</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <MailQueueTable />
    </section>
  );
}

// E-mails that wait or died (sent ones need nobody), with a retry for the dead.
function MailQueueTable() {
  const { t, i18n } = useTranslation();
  const [result, refetch] = useQuery({ query: MailQueue });
  const [retried, retry] = useMutation(RetryMail);
  const mails = result.data?.mailQueue ?? [];
  const again = async (id: string) => {
    const answer = await retry({ id });
    if (!answer.error) refetch({ requestPolicy: "network-only" });
  };
  return (
    <>
      <h2>{t("admin.mail")}</h2>
      <ErrorList error={result.error ?? retried.error} />
      {!result.fetching && mails.length === 0 && <p>{t("admin.noMail")}</p>}
      {mails.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("admin.recipient")}</th>
              <th scope="col">{t("requests.status")}</th>
              <th scope="col">{t("admin.attempts")}</th>
              <th scope="col">{t("admin.lastError")}</th>
              <th scope="col">{t("requests.submitted")}</th>
              <th scope="col"><span className="visually-hidden">{t("admin.retry")}</span></th>
            </tr>
          </thead>
          <tbody>
            {mails.map((m) => (
              <tr key={m.id}>
                <td>{m.toAddress} ({m.language})</td>
                <td><Status value={m.status} /></td>
                <td>{m.attempts}</td>
                <td>{m.lastError}</td>
                <td>{formatDateTime(m.createdAt, i18n.language)}</td>
                <td>{m.status === "DEAD" && <button type="button" onClick={() => again(m.id)}>{t("admin.retry")}</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
