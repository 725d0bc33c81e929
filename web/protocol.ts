/** Messages between the page and its conversion worker. */
export interface InFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The controls of the page: the CLI options of the same names. */
export interface PageOptions {
  readonly precision?: number;
  readonly inputNames?: string[];
  readonly outputNames?: string[];
  readonly maxMatrix?: number;
  readonly form: 'auto' | 'scalar' | 'tensor';
}

export type Request = { readonly id: number; readonly files: readonly InFile[]; readonly options: PageOptions };

export type Reply =
  | { readonly id: number; readonly kind: 'model'; readonly file: string; readonly weights?: string }
  | { readonly id: number; readonly kind: 'info'; readonly text: string }
  | { readonly id: number; readonly kind: 'format'; readonly format: string; readonly extension: string; readonly text?: string; readonly error?: string; readonly warnings: readonly string[]; readonly ms: number }
  | { readonly id: number; readonly kind: 'progress'; readonly what: string; readonly done: number; readonly total: number }
  | { readonly id: number; readonly kind: 'error'; readonly error: string }
  | { readonly id: number; readonly kind: 'done'; readonly ms: number };
