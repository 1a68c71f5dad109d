// Types for the editor's global `RED`, as Node-RED 4.x/5.x provides it.
//
// @types/node-red describes the editor API of the 1.x era. Its `EditorRED` is used as the base;
// what 3.x/4.x added and these nodes use is typed here: property `label`s, `validate`
// functions that may return a message, validators taking options, and credential definitions
// that can be `required` or validated in the dialog.
import type { EditorNodeDef, EditorNodeProperties, EditorRED } from 'node-red';

/** A catalogue look-up (`RED._`, `this._`): `__name__` placeholders are filled from `subs`. */
export type Translate = (key: string, subs?: Record<string, string | number>) => string;

/** The second argument Node-RED passes to a `validate` function of two parameters. */
export interface ValidateOptions {
  /** The property's `label`, when the definition has one. */
  label?: string;
}

/**
 * A property validator. Declared with two parameters, Node-RED (3.x and later) shows a returned
 * string as the reason next to the input; `true` means valid.
 */
export type Validator<TThis = ValidatorThis> = (this: TThis, value: unknown, opt?: ValidateOptions) => boolean | string;

/** What a validator may rely on in `this`: the node being validated. */
export interface ValidatorThis {
  readonly _: Translate;
  readonly type: string;
}

/** The node instance given as `this` to the definition's functions. */
export type EditorNode<TProps> = TProps &
  ValidatorThis & {
    readonly id: string;
    credentials?: Record<string, unknown>;
  };

/** One entry of `defaults`. */
export interface PropertyDefinition<TValue, TNode> {
  value: TValue | '';
  required?: boolean;
  /** The type of config node this property points to. */
  type?: string;
  /** Names the property in Node-RED's own validation messages. */
  label?: string;
  validate?: Validator<TNode>;
}

/** One entry of `credentials`. */
export interface CredentialDefinition<TNode> {
  type: 'text' | 'password';
  required?: boolean;
  label?: string;
  /** Checked while the dialog is open (Node-RED does not re-check stored credentials). */
  validate?: Validator<TNode>;
}

type EditorFunctions = 'defaults' | 'credentials' | 'label' | 'paletteLabel' | 'labelStyle' | 'inputLabels'
  | 'outputLabels' | 'oneditprepare' | 'oneditsave' | 'oneditcancel' | 'oneditresize';

/** A node definition as `RED.nodes.registerType` takes it in Node-RED 4.x/5.x. */
export interface NodeDefinition<TProps extends object, TCreds extends object = Record<string, never>>
  extends Omit<EditorNodeDef<EditorNodeProperties>, EditorFunctions> {
  defaults: { [K in keyof TProps]-?: PropertyDefinition<TProps[K], EditorNode<TProps>> };
  credentials?: { [K in keyof TCreds]-?: CredentialDefinition<EditorNode<TProps>> };
  label?: string | ((this: EditorNode<TProps>) => string);
  paletteLabel?: string | ((this: { readonly _: Translate }) => string);
  labelStyle?: string | ((this: EditorNode<TProps>) => string);
  inputLabels?: string | ((this: EditorNode<TProps>) => string);
  outputLabels?: string | string[] | ((this: EditorNode<TProps>, index: number) => string | undefined);
  oneditprepare?: (this: EditorNode<TProps>) => void;
  oneditsave?: (this: EditorNode<TProps>) => void;
  oneditcancel?: (this: EditorNode<TProps>) => void;
  oneditresize?: (this: EditorNode<TProps>, size: { width: number; height: number }) => void;
}

/** Options of `RED.validators.typedInput` (Node-RED 3.1 and later). */
export interface TypedInputValidatorOptions {
  /** The fixed type to validate for. */
  type?: string;
  /** The property holding the type (its dialog input is `#node-input-<typeField>`). */
  typeField?: string;
  isConfig?: boolean;
  allowBlank?: boolean;
}

export interface Validators {
  number(blankAllowed?: boolean): Validator<unknown>;
  regex(re: RegExp): Validator<unknown>;
  typedInput(options: string | TypedInputValidatorOptions, isConfig?: boolean): Validator<unknown>;
}

type EditorNodes = EditorRED['nodes'];

export interface Nodes extends Omit<EditorNodes, 'registerType'> {
  registerType<TProps extends object, TCreds extends object = Record<string, never>>(
    type: string,
    definition: NodeDefinition<TProps, TCreds>,
  ): void;
}

/** The global `RED` of the editor, with the 4.x/5.x additions these nodes use. */
export interface MovilitasEditorRED extends Omit<EditorRED, 'nodes' | 'validators' | '_'> {
  nodes: Nodes;
  validators: Validators;
  _: Translate;
}

declare global {
  const RED: MovilitasEditorRED;
}
