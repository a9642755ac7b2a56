import { Type, type ObjectOptions, type TProperties } from '@sinclair/typebox';

/** Objects refuse unknown keys so a misspelt option is an error, not a silent default. */
export const Obj = <T extends TProperties>(props: T, opts: ObjectOptions = {}) => Type.Object(props, { additionalProperties: false, ...opts });
