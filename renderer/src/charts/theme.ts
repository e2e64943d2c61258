// Chart colours from the live CSS variables, so charts follow the light/dark theme.
import { useAppStore } from '../stores/app';
export interface ChartColors {
  text: string;
  muted: string;
  border: string;
  grid: string;
  surface: string;
  accent: string;
  twin: string;
  ok: string;
  warn: string;
  bad: string;
  palette: string[];
}


export function chartColors(): ChartColors {
  // Reading the theme makes every computed chart option depend on it, so options rebuild on a switch.
  void useAppStore().theme;
  const s = getComputedStyle(document.documentElement);
  const v = (name: string) => s.getPropertyValue(name).trim();
  const c = {
    text: v('--text'), muted: v('--muted'), border: v('--border'), grid: v('--chart-grid'), surface: v('--surface'),
    accent: v('--accent'), twin: v('--twin'), ok: v('--ok'), warn: v('--warn'), bad: v('--bad'),
  };
  return { ...c, palette: [c.accent, c.twin, '#d9822b', '#9b59b6', '#e74c8b', '#7f8c8d', '#c0a000', '#2e86c1'] };
}
