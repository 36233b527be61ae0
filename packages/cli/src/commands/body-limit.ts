/**
 * The body limit alone, for `chat send -` to load lazily. A dynamic import of '@chat/crypto' itself would make the
 * bundler keep every export of the package (the whole namespace is reachable), v2's ML-KEM and ratchet included,
 * in the chunk every command loads; a dynamic import of this module keeps one constant.
 */
export { MAX_BODY_BYTES } from '@chat/crypto';
