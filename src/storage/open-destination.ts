import { FlexError } from '../errors.ts'
import type { Destination } from './destination.ts'
import { GcsBucket } from './gcs-bucket.ts'
import { LocalFolder } from './local-folder.ts'

/** A destination from its command-line form: `gs://bucket/prefix`, or a folder path. */
export function openDestination(spec: string): Destination {
  if (spec.startsWith('gs://')) return GcsBucket.fromUrl(spec)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new FlexError('USAGE', `unsupported destination "${spec}": give gs://BUCKET/PREFIX or a local folder path`)
  }
  return new LocalFolder(spec)
}
