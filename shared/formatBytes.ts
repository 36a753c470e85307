/**
 * A size for people, in binary units written as the editor writes them (KB = 1024 bytes): one decimal below 10 of a
 * unit, none above, and no trailing ".0" — "512 B", "1.5 KB", "8 MB", "140 MB", "4.7 GB".
 */
export function formatBytes(bytes: number): string {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    const rounded = unit === 0 || Math.abs(value) >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
    return `${rounded} ${units[unit]}`;
}
