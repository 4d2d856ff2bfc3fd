import type { ReactElement } from 'react';

// Inline SVG paths, so the controls look the same whatever fonts the system has.
const PATHS = {
  play: 'M5 3l11 7-11 7z',
  pause: 'M5 3h4v14H5zm6 0h4v14h-4z',
  previous: 'M4 3h2v14H4zm3 7l9-7v14z',
  next: 'M14 3h2v14h-2zM4 3l9 7-9 7z',
  volume: 'M3 7h4l5-4v14l-5-4H3zm11-.5a5 5 0 010 7l-1.2-1.2a3.3 3.3 0 000-4.6z',
} as const;

/** Renders one of the player's icons, sized by CSS and coloured with the text colour. */
export function Icon({ name }: { name: keyof typeof PATHS }): ReactElement {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <path d={PATHS[name]} />
    </svg>
  );
}
