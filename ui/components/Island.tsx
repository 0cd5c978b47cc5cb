// Marks an island in server-rendered HTML: its name and props, for the client bundle to hydrate.

import type { ComponentType } from "preact";

/** Props of Island: the component, its registry name and its (JSON-serialisable) props. */
export interface IslandProps<P> {
  name: string;
  component: ComponentType<P>;
  props: P;
  /** Extra class names of the wrapper. */
  class?: string;
}

/** Renders `component` inside a wrapper the client finds by `data-island` and hydrates. */
export function Island<P extends Record<string, unknown>>(
  { name, component: Component, props, class: className }: IslandProps<P>,
) {
  return (
    <div data-island={name} data-props={JSON.stringify(props)} class={className}>
      <Component {...props} />
    </div>
  );
}
