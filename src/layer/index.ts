/**
 * Layers: deterministic tar writing (Go `archive/tar` bytes, normalized as the reference lifecycle does),
 * one-pass hashing and compression, verified reads, and safe extraction for restore.
 */
export { type ExtractOptions, type ExtractResult, extractLayer } from './extract.ts';
export { type FileLayer, fileLayer, type Layer, layerFromDir } from './layer.ts';
export { decompressLayer, type LayerCompression, LayerMediaType, layerCompression } from './media-type.ts';
export { DEFLATE_MEM_LEVEL } from './parallel-gzip.ts';
export {
  END_OF_ARCHIVE,
  type EntryType,
  encodeHeader,
  NORMALIZED_MTIME,
  type TarHeader,
} from './tar-header.ts';
export { tarChunks } from './tar-writer.ts';
export { Digester, digestMismatch, parseDigest, verifyDigest } from './verify.ts';
export { type DirSource, entryFromStat, type LayerEntry, parentsFromDisk, walkDir } from './walk.ts';
export {
  type LayerDigests,
  type LayerSink,
  type LayerSource,
  type WriteLayerOptions,
  writeLayer,
} from './write.ts';
