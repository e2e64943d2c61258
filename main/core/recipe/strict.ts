// Moved to main/core/strict.ts (methods/ and recipe/ both use it; methods must not import recipe/).
// Kept only for api/compress.ts, which another change is editing; import '../strict' instead.
export * from '../strict';
