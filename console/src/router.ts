// A tiny router over the History API: the console's paths are the deep links of the server
// (each answers the same page), so a reload or a bookmarked link lands on the same screen.
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();

function notify(): void {
  for (const l of listeners) l();
}

window.addEventListener('popstate', notify);

// Goes to `path` (a /console/ path) without reloading the page.
export function navigate(path: string, replace = false): void {
  const current = window.location.pathname + window.location.search;
  if (path === current) return;
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  notify();
}

// The current path and query, re-rendering the caller on every navigation.
export function useLocation(): { path: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return {
    path: window.location.pathname,
    search: new URLSearchParams(window.location.search),
  };
}

// Whether a click on a link is a plain left click the router should take over (not a click
// that opens a new tab or window).
export function isPlainClick(e: MouseEvent): boolean {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey && !e.defaultPrevented;
}
