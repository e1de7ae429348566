// Worker threads running this project's TypeScript modules: the worker registers tsx's ESM hooks
// first, then imports the module (Node's Worker cannot load .ts itself).

/** Source for `new Worker(source, { eval: true })` that runs the TypeScript module at `moduleUrl`. */
export function tsWorkerSource(moduleUrl: string): string {
  const tsx = import.meta.resolve('tsx/esm/api')
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl)}) })`
}
