// Writing a lesson: a provider, a desk or HQ starts a draft (or picks up one the
// platform drafted after a delivery), saves it as often as it likes and sends it to the
// reviewers. The lessons service decides who may write about what and checks each save
// against the version the writer edited.
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { LessonInput, Sensitivity } from "../gql/graphql";
import { ContentLanguageSelect, ErrorList, Field, Loading, Status } from "../components";
import { safeHtml } from "../markdown";
import { useDraft, useSession } from "../session";

/** What the form edits; tags are typed as comma-separated lists. */
export interface LessonDraft {
  title: string;
  summary: string;
  body: string;
  themes: string[];
  countries: string;
  regions: string;
  sensitivity: Sensitivity;
  language: string;
}

const SENSITIVITIES: Sensitivity[] = ["PUBLIC", "INTERNAL", "RESTRICTED"];

/** A comma-separated list as the distinct, trimmed values it names. */
export function listOf(text: string, upper = false): string[] {
  const values = text.split(",").map((value) => (upper ? value.trim().toUpperCase() : value.trim()));
  return [...new Set(values.filter(Boolean))];
}

export function lessonInput(draft: LessonDraft): LessonInput {
  return {
    title: draft.title,
    summary: draft.summary,
    body: draft.body,
    themes: draft.themes,
    countries: listOf(draft.countries, true),
    regions: listOf(draft.regions),
    sensitivity: draft.sensitivity,
    language: draft.language,
  };
}

const Themes = graphql(`
  query LessonThemes { products { code name } }
`);

function LessonForm({ draft, onChange }: { draft: LessonDraft; onChange(draft: LessonDraft): void }) {
  const { t } = useTranslation();
  const { session } = useSession();
  const [catalog] = useQuery({ query: Themes });
  // A provider writes about its own products; the service refuses any other theme.
  const own = session?.claims.role === "provider" ? new Set(session.claims.products ?? []) : null;
  const themes = (catalog.data?.products ?? []).filter((p) => !own || own.has(p.code) || draft.themes.includes(p.code));
  const set = (change: Partial<LessonDraft>) => onChange({ ...draft, ...change });
  return (
    <>
      <Field id="lesson-title" label={`${t("lessons.title")} *`}>
        <input id="lesson-title" required maxLength={200} value={draft.title} onChange={(e) => set({ title: e.target.value })} />
      </Field>
      <Field id="lesson-summary" label={t("lessons.summary")}>
        <textarea id="lesson-summary" rows={2} value={draft.summary} onChange={(e) => set({ summary: e.target.value })} />
      </Field>
      <Field id="lesson-body" label={t("lessons.body")}>
        <textarea id="lesson-body" rows={12} value={draft.body} onChange={(e) => set({ body: e.target.value })} />
      </Field>
      <fieldset className="choices">
        <legend>{t("lessons.themes")}</legend>
        {themes.map((product) => (
          <label key={product.code}>
            <input
              type="checkbox"
              checked={draft.themes.includes(product.code)}
              onChange={(e) => set({ themes: e.target.checked ? [...draft.themes, product.code] : draft.themes.filter((c) => c !== product.code) })}
            />
            {product.name}
          </label>
        ))}
      </fieldset>
      <Field id="lesson-countries" label={t("lessons.countries")}>
        <input id="lesson-countries" value={draft.countries} onChange={(e) => set({ countries: e.target.value })} />
      </Field>
      <Field id="lesson-regions" label={t("lessons.regions")}>
        <input id="lesson-regions" value={draft.regions} onChange={(e) => set({ regions: e.target.value })} />
      </Field>
      <Field id="lesson-sensitivity" label={t("lessons.sensitivity")}>
        <select id="lesson-sensitivity" value={draft.sensitivity} onChange={(e) => set({ sensitivity: e.target.value as Sensitivity })}>
          {SENSITIVITIES.map((s) => <option key={s} value={s}>{t(`sensitivity.${s}`)}</option>)}
        </select>
      </Field>
      <ContentLanguageSelect id="lesson-language" value={draft.language} onChange={(language) => set({ language })} />
      <h2>{t("lessons.preview")}</h2>
      <div className="markdown" lang={draft.language} dangerouslySetInnerHTML={{ __html: safeHtml(draft.body) }} />
    </>
  );
}

const Create = graphql(`
  mutation CreateLesson($input: LessonInput!, $key: String) {
    createLesson(input: $input, idempotencyKey: $key) { id }
  }
`);

const EMPTY_LESSON: LessonDraft = { title: "", summary: "", body: "", themes: [], countries: "", regions: "", sensitivity: "INTERNAL", language: "en" };

export function NewLessonPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  // The key makes a retried save (a lost answer, a double click) create one draft.
  const [draft, setDraft, clearDraft] = useDraft<LessonDraft & { key: string }>("new-lesson", { ...EMPTY_LESSON, key: crypto.randomUUID() });
  const [created, create] = useMutation(Create);
  async function onSubmit(event: React.FormEvent) {
    event.preventDefault();
    const result = await create({ input: lessonInput(draft), key: draft.key });
    const id = result.data?.createLesson.id;
    if (id) {
      clearDraft();
      navigate(`/lessons/${id}/edit`);
    }
  }
  return (
    <section>
      <h1>{t("lessons.write")}</h1>
      <form onSubmit={onSubmit} noValidate>
        <LessonForm draft={draft} onChange={(next) => setDraft({ ...next, key: draft.key })} />
        <ErrorList error={created.error} />
        <button type="submit" disabled={created.fetching || !draft.title.trim()}>{t("lessons.saveDraft")}</button>
      </form>
    </section>
  );
}

const Editable = graphql(`
  query EditableLesson($id: ID!) {
    lesson(id: $id) { id title summary body themes countries regions sensitivity language status version reviewComment }
  }
`);
const Update = graphql(`
  mutation UpdateLesson($id: ID!, $version: Int!, $input: LessonInput!) {
    updateLesson(id: $id, expectedVersion: $version, input: $input) { id version }
  }
`);
const SubmitForReview = graphql(`
  mutation SubmitLessonForReview($id: ID!, $version: Int!) {
    submitLesson(id: $id, expectedVersion: $version) { id status }
  }
`);

type Editable = { title: string; summary: string; body: string; themes: string[]; countries: string[]; regions: string[]; sensitivity: Sensitivity; language: string };

function draftOf(lesson: Editable): LessonDraft {
  return { ...lesson, countries: lesson.countries.join(", "), regions: lesson.regions.join(", ") };
}

export function EditLessonPage() {
  const { id = "" } = useParams();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [result] = useQuery({ query: Editable, variables: { id }, requestPolicy: "network-only" });
  const lesson = result.data?.lesson;
  const [draft, setDraft] = useState<LessonDraft | null>(null);
  // The version this form edits: the one read, then the one each save returns.
  const [version, setVersion] = useState<number | null>(null);
  const [saved, setSaved] = useState(false);
  const [updated, update] = useMutation(Update);
  const [submitted, submit] = useMutation(SubmitForReview);
  useEffect(() => {
    if (lesson && draft === null) {
      setDraft(draftOf(lesson));
      setVersion(lesson.version);
    }
  }, [lesson, draft]);

  if (!lesson || !draft || version === null) return <section><Loading busy={result.fetching} /><ErrorList error={result.error} /></section>;
  if (lesson.status !== "DRAFT") {
    return (
      <section>
        <h1>{lesson.title}</h1>
        <p><Status value={lesson.status} /> {t("lessons.notEditable")}</p>
        <p><Link to={`/lessons/${id}`}>{t("lessons.read")}</Link></p>
      </section>
    );
  }

  async function save(): Promise<number | null> {
    const answer = await update({ id, version: version!, input: lessonInput(draft!) });
    const next = answer.data?.updateLesson.version ?? null;
    if (next !== null) {
      setVersion(next);
      setSaved(true);
    }
    return next;
  }
  async function sendToReviewers() {
    const current = await save();
    if (current === null) return;
    const answer = await submit({ id, version: current });
    if (answer.data) navigate("/lessons/drafts");
  }
  return (
    <section>
      <h1>{t("lessons.edit")}</h1>
      {lesson.reviewComment && (
        <p className="notice" role="note">{t("lessons.sentBackWith")}: {lesson.reviewComment}</p>
      )}
      <form onSubmit={async (e) => { e.preventDefault(); await save(); }} noValidate>
        <LessonForm draft={draft} onChange={(next) => { setDraft(next); setSaved(false); }} />
        <ErrorList error={updated.error ?? submitted.error} />
        {saved && <p aria-live="polite">{t("lessons.saved")}</p>}
        <button type="submit" disabled={updated.fetching || !draft.title.trim()}>{t("lessons.saveDraft")}</button>
        <button type="button" disabled={updated.fetching || submitted.fetching || !draft.title.trim()} onClick={sendToReviewers}>
          {t("lessons.sendToReviewers")}
        </button>
      </form>
    </section>
  );
}
