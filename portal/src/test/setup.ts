import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";
import "../i18n";

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});
