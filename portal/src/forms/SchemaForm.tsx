import { useTranslation } from "react-i18next";
import { humanise, type FormField, type FormValues } from "./schemaForm";

interface Props {
  idPrefix: string;
  title: string;
  fields: FormField[];
  values: FormValues;
  errors: Record<string, string>;
  onChange(values: FormValues): void;
}

/** The fields of one product's request form, each with its label and its error beside it. */
export function SchemaForm({ idPrefix, title, fields, values, errors, onChange }: Props) {
  const { t } = useTranslation();
  const set = (name: string, value: string | string[] | boolean) => onChange({ ...values, [name]: value });
  return (
    <fieldset className="schema-form">
      <legend>{title}</legend>
      {fields.map((field) => {
        const id = `${idPrefix}-${field.name}`;
        const error = errors[field.name];
        const errorId = `${id}-error`;
        const label = `${humanise(field.name)}${field.required ? " *" : ""}`;
        const common = {
          id,
          "aria-invalid": error ? true : undefined,
          "aria-describedby": error ? errorId : undefined,
          "aria-required": field.required || undefined,
        };
        const value = values[field.name];
        let control;
        if (field.kind === "multiSelect") {
          const chosen = Array.isArray(value) ? value : [];
          control = (
            <fieldset id={id} className="choices" aria-describedby={common["aria-describedby"]}>
              <legend>{label}</legend>
              {field.options.map((option) => (
                <label key={option}>
                  <input
                    type="checkbox"
                    checked={chosen.includes(option)}
                    onChange={(event) =>
                      set(field.name, event.target.checked ? [...chosen, option] : chosen.filter((c) => c !== option))
                    }
                  />
                  {humanise(option)}
                </label>
              ))}
            </fieldset>
          );
        } else if (field.kind === "select") {
          control = (
            <select {...common} value={String(value ?? "")} onChange={(event) => set(field.name, event.target.value)}>
              <option value="">{t("form.choose")}</option>
              {field.options.map((option) => (
                <option key={option} value={option}>
                  {humanise(option)}
                </option>
              ))}
            </select>
          );
        } else if (field.kind === "boolean") {
          control = <input {...common} type="checkbox" checked={value === true} onChange={(event) => set(field.name, event.target.checked)} />;
        } else if (field.kind === "longText" || field.kind === "list") {
          control = <textarea {...common} rows={3} value={String(value ?? "")} onChange={(event) => set(field.name, event.target.value)} />;
        } else {
          const type = field.kind === "date" ? "date" : field.kind === "integer" || field.kind === "number" ? "number" : "text";
          control = (
            <input
              {...common}
              type={type}
              min={field.min}
              max={field.max}
              maxLength={field.maxLength}
              step={field.kind === "integer" ? 1 : undefined}
              value={String(value ?? "")}
              onChange={(event) => set(field.name, event.target.value)}
            />
          );
        }
        return (
          <div className="field" key={field.name}>
            {field.kind !== "multiSelect" && <label htmlFor={id}>{label}</label>}
            {control}
            {field.kind === "list" && <small>{t("form.onePerLine")}</small>}
            {error && (
              <p className="field-error" id={errorId} role="alert">
                {error === "required" ? t("form.required") : error}
              </p>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
