import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { SchemaForm } from "./SchemaForm";
import { detailsFrom, fieldErrors, formFields, type FormValues, type ObjectSchema } from "./schemaForm";

// The electoral assistance form as the products service seeds it.
const ELECTORAL: ObjectSchema = {
  required: ["election_type", "election_date"],
  properties: {
    election_type: { enum: ["presidential", "legislative", "local", "referendum", "general"] },
    election_date: { type: "string", format: "date", pattern: "^\\d{4}-\\d{2}-\\d{2}$" } as never,
    electoral_body: { type: "string", maxLength: 200 },
    support_needed: { type: "array", items: { enum: ["needs_assessment", "logistics"] } },
    duration_weeks: { type: "integer", minimum: 1, maximum: 104 },
    institutions: { type: "array", items: { type: "string" } },
  },
};

describe("form fields from a JSON Schema", () => {
  it("gives each property the control its type calls for, required ones marked", () => {
    const fields = formFields(ELECTORAL);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ["election_type", "select", true],
      ["election_date", "date", true],
      ["electoral_body", "text", false],
      ["support_needed", "multiSelect", false],
      ["duration_weeks", "integer", false],
      ["institutions", "list", false],
    ]);
    expect(fields[0].options).toContain("referendum");
    expect(fields[4]).toMatchObject({ min: 1, max: 104 });
  });

  it("turns what was typed into details: numbers as numbers, lists split, blanks left out", () => {
    const fields = formFields(ELECTORAL);
    const values: FormValues = { election_type: "local", electoral_body: "", duration_weeks: "6", institutions: "Court\n\n Police ", support_needed: [] };
    expect(detailsFrom(fields, values)).toEqual({ election_type: "local", duration_weeks: 6, institutions: ["Court", "Police"] });
  });

  it("puts the service's validation messages on the field they concern", () => {
    expect(
      fieldErrors(["(details): 'election_type' is a required property", "election_date: '1 May' does not match '^\\\\d{4}'", "institutions/0: 5 is not of type 'string'"]),
    ).toEqual({ election_type: "required", election_date: "'1 May' does not match '^\\\\d{4}'", institutions: "5 is not of type 'string'" });
  });
});

function Harness({ errors }: { errors: Record<string, string> }) {
  const [values, setValues] = useState<FormValues>({});
  return (
    <>
      <SchemaForm idPrefix="d" title="Electoral" fields={formFields(ELECTORAL)} values={values} errors={errors} onChange={setValues} />
      <output>{JSON.stringify(values)}</output>
    </>
  );
}

describe("SchemaForm", () => {
  it("labels every control and records what the person enters", async () => {
    const { container } = render(<Harness errors={{}} />);
    await userEvent.selectOptions(screen.getByLabelText("Election type *"), "referendum");
    fireEvent.change(screen.getByLabelText("Election date *"), { target: { value: "2027-07-01" } });
    await userEvent.click(screen.getByLabelText("Logistics"));
    await userEvent.type(screen.getByLabelText("Duration weeks"), "3");
    expect(JSON.parse(container.querySelector("output")?.textContent ?? "{}")).toEqual({
      election_type: "referendum",
      election_date: "2027-07-01",
      support_needed: ["logistics"],
      duration_weeks: "3",
    });
  });

  it("shows an error beside its field and ties it to the control", () => {
    render(<Harness errors={{ election_type: "required", election_date: "'x' does not match" }} />);
    const type = screen.getByLabelText("Election type *");
    expect(type.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(type.getAttribute("aria-describedby") ?? "")?.textContent).toBe("This field is required.");
    const date = screen.getByLabelText("Election date *");
    expect(document.getElementById(date.getAttribute("aria-describedby") ?? "")?.textContent).toBe("'x' does not match");
  });
});
