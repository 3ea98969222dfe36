import type { RequestClient } from '@webcasa/ui';

/**
 * Upload one file in chunks of the size the server names in its init answer (`chunkSize`, 8 MiB
 * today; the chunk route's body limit is raised to match in the manifest): init, PUT each chunk at
 * its offset, complete. On a failed chunk it asks the panel for the offset it has and goes on
 * from there (a few times), so a dropped connection resumes instead of starting over.
 */
export async function uploadFile(
  api: RequestClient,
  root: number,
  path: string,
  file: Blob,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const init = await api.post<{ id: string; chunkSize: number }>('/upload', { root, path, size: file.size });
  let offset = 0;
  let retries = 0;
  while (offset < file.size) {
    if (signal?.aborted) throw new Error('upload cancelled');
    const chunk = file.slice(offset, offset + init.chunkSize);
    try {
      const answer = await api.request<{ offset: number }>('PUT', `/upload/${init.id}?offset=${offset}`, {
        raw: chunk,
        contentType: 'application/octet-stream',
        ...(signal ? { signal } : {}),
      });
      offset = answer.offset;
      retries = 0;
    } catch (error) {
      if (++retries > 5) throw error;
      const state = await api.get<{ offset: number }>(`/upload/${init.id}`);
      offset = state.offset;
    }
    onProgress(file.size === 0 ? 1 : offset / file.size);
  }
  await api.post(`/upload/${init.id}/complete`);
  onProgress(1);
}
