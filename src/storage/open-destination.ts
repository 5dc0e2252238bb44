import { FlexError } from '../errors.ts'
import type { Destination } from './destination.ts'
import { LocalFolder } from './local-folder.ts'

/** A destination from its command-line form: a folder path. */
export function openDestination(spec: string): Destination {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new FlexError('USAGE', `unsupported destination "${spec}": give a local folder path`)
  }
  return new LocalFolder(spec)
}
