export type { AlertStatus, MailAudience, TemplateKey, TemplateTask } from "./catalog.js";
export { placeholders, templateKeys } from "./catalog.js";
export { formatDate, toLanguage } from "./format.js";
export type { ClientFacts, MailContext, MailEntry, RenderedMail, TemplateSource } from "./render.js";
export { accountPage, headerValue, renderMail, templateTask } from "./render.js";
export { builtinCatalogs, TemplateOverrideError, templateSource } from "./source.js";
