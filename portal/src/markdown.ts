// Lesson bodies are Markdown written by people: parsed by marked, then sanitised by
// DOMPurify before they reach the page, so no script or handler survives.
import DOMPurify from "dompurify";
import { marked } from "marked";

export function safeHtml(markdown: string): string {
  return DOMPurify.sanitize(marked.parse(markdown, { async: false }));
}
