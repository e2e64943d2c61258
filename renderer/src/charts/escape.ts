// ECharts puts a tooltip formatter's string into the page as HTML. Layer, model, twin and method
// names come from model files and zoo archives someone else may have made, so every such string
// is escaped before it joins the markup (ECharts' own default tooltips already escape).
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** `s` as inert HTML text. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"'`]/g, (ch) => ENTITIES[ch]);
}
