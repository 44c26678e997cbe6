// The HQ analyst's screens: the live feed, search with facets, a lesson, saved
// filters with their Atom feed links, and drafts to review.
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { LessonFilter } from "../gql/graphql";
import { ContentLanguageSelect, ErrorList, Field, Loading, Status, languageName } from "../components";
import { formatDateTime, formatNumber } from "../format";
import { safeHtml } from "../markdown";
import { useSession } from "../session";
import { FollowToggle } from "./follows";

export const LessonCard = graphql(`
  fragment LessonCard on Lesson { id title summary themes countries publishedAt status version language translationOf }
`);

const Feed = graphql(`
  query Feed($first: Int!, $filter: LessonFilter) {
    lessons(first: $first, filter: $filter) { edges { node { ...LessonCard } } }
    savedLessonFilters { id name themes countries }
  }
`);
const Published = graphql(`
  subscription Published { lessonPublished { ...LessonCard } }
`);
const Search = graphql(`
  query SearchLessons($query: String!, $filter: LessonFilter, $offset: Int!) {
    searchLessons(query: $query, filter: $filter, first: 20, offset: $offset) {
      total nextOffset
      hits { score lesson { ...LessonCard } }
      facets { themes { value count } countries { value count } languages { value count } }
    }
  }
`);
const SaveFilter = graphql(`
  mutation SaveFilter($name: String!, $filter: LessonFilter) {
    saveLessonFilter(name: $name, filter: $filter) { feedUrl savedFilter { id name } }
  }
`);

type Card = { id: string; title: string; summary: string; themes: string[]; publishedAt?: string | null; language: string };

function LessonList({ lessons }: { lessons: Card[] }) {
  const { i18n } = useTranslation();
  return (
    <ul className="lessons">
      {lessons.map((l) => (
        <li key={l.id}>
          <Link to={`/lessons/${l.id}`} lang={l.language}>{l.title}</Link> <small>{languageName(l.language)} · {l.themes.join(", ")} · {formatDateTime(l.publishedAt, i18n.language)}</small>
          <p>{l.summary}</p>
        </li>
      ))}
    </ul>
  );
}

export function LessonsPage() {
  const { t, i18n } = useTranslation();
  // Coming back to the feed fetches it again: what was pushed meanwhile is in it.
  const [query, setQuery] = useState("");
  const [theme, setTheme] = useState("");
  // The language filters the feed at once, and the search when it is submitted.
  const [language, setLanguage] = useState("");
  const languages = language ? [language] : [];
  const [feed] = useQuery({ query: Feed, variables: { first: 20, filter: { languages } }, requestPolicy: "cache-and-network" });
  const [live] = useSubscription({ query: Published }, (seen: Card[] = [], event) =>
    !language || event.lessonPublished.language === language ? [event.lessonPublished, ...seen] : seen);
  const [country, setCountry] = useState("");
  const [region, setRegion] = useState("");
  const [submitted, setSubmitted] = useState<{ query: string; filter: LessonFilter } | null>(null);
  const [search] = useQuery({
    query: Search,
    variables: { query: submitted?.query ?? "", filter: submitted?.filter, offset: 0 },
    pause: !submitted,
  });
  const [saved, save] = useMutation(SaveFilter);
  const [filterName, setFilterName] = useState("");
  const fetched = feed.data?.lessons.edges.map((e) => e.node) ?? [];
  const liveIds = new Set((live.data ?? []).map((l) => l.id));
  const lessons = [...(live.data ?? []), ...fetched.filter((l) => !liveIds.has(l.id))];
  const filter: LessonFilter = {
    themes: theme ? [theme] : [],
    countries: country.trim() ? [country.trim()] : [],
    regions: region.trim() ? [region.trim()] : [],
    languages,
  };
  return (
    <section>
      <h1>{t("lessons.feed")}</h1>
      <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); setSubmitted({ query, filter }); }}>
        <Field id="lesson-query" label={t("lessons.search")}>
          <input id="lesson-query" type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </Field>
        <Field id="lesson-theme" label={t("lessons.theme")}>
          <input id="lesson-theme" value={theme} onChange={(e) => setTheme(e.target.value)} />
        </Field>
        <ContentLanguageSelect id="lesson-language" value={language} anyLabel={t("common.all")} onChange={setLanguage} />
        <FollowToggle kind="THEME" code={theme} />
        <Field id="lesson-country" label={t("lessons.country")}>
          <input id="lesson-country" value={country} maxLength={3} onChange={(e) => setCountry(e.target.value.toUpperCase())} />
        </Field>
        <FollowToggle kind="COUNTRY" code={country} />
        <Field id="lesson-region" label={t("lessons.region")}>
          <input id="lesson-region" value={region} onChange={(e) => setRegion(e.target.value)} />
        </Field>
        <FollowToggle kind="REGION" code={region} />
        <button type="submit">{t("lessons.searchButton")}</button>
      </form>
      {submitted && (
        <div className="search-results">
          <h2>{t("lessons.results", { count: search.data?.searchLessons.total ?? 0 })}</h2>
          <ErrorList error={search.error} />
          {search.data && (
            <div className="facets">
              {search.data.searchLessons.facets.themes.map((f) => (
                <button type="button" key={f.value} onClick={() => { setTheme(f.value); setSubmitted({ query, filter: { themes: [f.value], languages } }); }}>
                  {f.value} ({formatNumber(f.count, i18n.language)})
                </button>
              ))}
            </div>
          )}
          <LessonList lessons={search.data?.searchLessons.hits.map((h) => h.lesson) ?? []} />
        </div>
      )}
      <form className="filters" onSubmit={async (e) => { e.preventDefault(); await save({ name: filterName, filter }); }}>
        <Field id="filter-name" label={t("lessons.filterName")}>
          <input id="filter-name" value={filterName} onChange={(e) => setFilterName(e.target.value)} />
        </Field>
        <button type="submit" disabled={!filterName.trim()}>{t("lessons.saveFilter")}</button>
      </form>
      {saved.data && (
        <p>
          {t("lessons.feedLink")}: <a href={saved.data.saveLessonFilter.feedUrl}>{saved.data.saveLessonFilter.savedFilter.name}</a>
        </p>
      )}
      <ErrorList error={feed.error ?? saved.error} />
      {(feed.data?.savedLessonFilters.length ?? 0) > 0 && (
        <>
          <h2>{t("lessons.savedFilters")}</h2>
          <ul>{feed.data?.savedLessonFilters.map((f) => <li key={f.id}>{f.name}: {f.themes.join(", ")}</li>)}</ul>
        </>
      )}
      <h2 aria-live="polite">{t("lessons.latest")}</h2>
      <Loading busy={feed.fetching} />
      <LessonList lessons={lessons} />
    </section>
  );
}

const LessonQuery = graphql(`
  query Lesson($id: ID!) {
    lesson(id: $id) { ...LessonCard body sensitivity source authoringEntity }
    translations: lessons(first: 10, filter: { translationOf: $id }) { edges { node { id title language } } }
  }
`);

// The lesson in its other languages: its translations, or the original it translates
// (and the original's other translations are listed on the original's page).
function OtherLanguages({ original, translations }: { original?: string | null; translations: { id: string; title: string; language: string }[] }) {
  const { t } = useTranslation();
  if (!original && translations.length === 0) return null;
  return (
    <nav aria-label={t("lessons.otherLanguages")}>
      {original && <p><Link to={`/lessons/${original}`}>{t("lessons.original")}</Link></p>}
      {translations.length > 0 && (
        <p>
          {t("lessons.translations")}:{" "}
          {translations.map((l, index) => (
            <span key={l.id}>{index > 0 && " · "}<Link to={`/lessons/${l.id}`} lang={l.language}>{languageName(l.language)}: {l.title}</Link></span>
          ))}
        </p>
      )}
    </nav>
  );
}

export function LessonPage() {
  const { id = "" } = useParams();
  const { t, i18n } = useTranslation();
  const [result] = useQuery({ query: LessonQuery, variables: { id } });
  const lesson = result.data?.lesson;
  if (!lesson) return <section><Loading busy={result.fetching} /><ErrorList error={result.error} /></section>;
  return (
    <article>
      <h1 lang={lesson.language}>{lesson.title}</h1>
      <p><small>{lesson.authoringEntity} · {lesson.themes.join(", ")} · {formatDateTime(lesson.publishedAt, i18n.language)} · {t(`sensitivity.${lesson.sensitivity}`)} · {languageName(lesson.language)}</small></p>
      <p><strong>{lesson.summary}</strong></p>
      <OtherLanguages original={lesson.translationOf} translations={result.data?.translations.edges.map((e) => e.node) ?? []} />
      <div className="markdown" lang={lesson.language} dangerouslySetInnerHTML={{ __html: safeHtml(lesson.body) }} />
    </article>
  );
}

const Drafts = graphql(`
  query Drafts { lessonDrafts { ...LessonCard reviewComment } }
`);
const Approve = graphql(`mutation Approve($id: ID!, $version: Int!) { approveLesson(id: $id, expectedVersion: $version) { id status } }`);
const SendBack = graphql(`mutation SendBack($id: ID!, $version: Int!, $comment: String!) { sendBackLesson(id: $id, expectedVersion: $version, comment: $comment) { id status } }`);

// Unpublished lessons: its writer's drafts (to edit and send to the reviewers), and for
// reviewers the lessons in review too (to publish or send back with a comment).
export function DraftsPage() {
  const { t } = useTranslation();
  const { session } = useSession();
  const reviewer = session?.claims.role === "hq_analyst" || session?.claims.role === "admin";
  // Fetched again on each visit: a draft saved or sent elsewhere (the editor, the
  // platform's after-action drafts) may not be among the lessons cached here.
  const [result, refetch] = useQuery({ query: Drafts, requestPolicy: "cache-and-network" });
  const [approved, approve] = useMutation(Approve);
  const [sent, sendBack] = useMutation(SendBack);
  const [comment, setComment] = useState("");
  const done = (r: { error?: unknown }) => !r.error && refetch({ requestPolicy: "network-only" });
  return (
    <section>
      <h1>{t(reviewer ? "lessons.drafts" : "lessons.myDrafts")}</h1>
      <p>
        <Link to="/lessons/new">{t("lessons.write")}</Link>{" "}
        <button type="button" className="secondary" onClick={() => refetch({ requestPolicy: "network-only" })}>{t("common.refresh")}</button>
      </p>
      <ErrorList error={result.error ?? approved.error ?? sent.error} />
      <Loading busy={result.fetching} />
      {reviewer && (
        <Field id="review-comment" label={t("lessons.reviewComment")}>
          <input id="review-comment" value={comment} onChange={(e) => setComment(e.target.value)} />
        </Field>
      )}
      <ul className="lessons">
        {result.data?.lessonDrafts.map((l) => (
          <li key={l.id}>
            <strong>{l.title}</strong> <Status value={l.status} />
            <p>{l.summary}</p>
            {l.status === "DRAFT" && l.reviewComment && <p className="notice">{t("lessons.sentBackWith")}: {l.reviewComment}</p>}
            {l.status === "DRAFT" && <Link to={`/lessons/${l.id}/edit`}>{t("lessons.edit")}</Link>}
            {reviewer && l.status === "IN_REVIEW" && (
              <>
                <button type="button" onClick={async () => done(await approve({ id: l.id, version: l.version }))}>{t("lessons.approve")}</button>
                <button type="button" disabled={!comment.trim()} onClick={async () => done(await sendBack({ id: l.id, version: l.version, comment }))}>{t("lessons.sendBack")}</button>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
