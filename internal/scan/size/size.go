// Package size limits prompt size: a byte cap and a token cap counted the
// way OpenAI's tokenizers count (cl100k_base / o200k_base), offline.
package size
