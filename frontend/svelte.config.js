// Every component is written in Svelte 5's runes mode.
export default {
  compilerOptions: { runes: true },
};
