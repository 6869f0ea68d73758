"""Render the docs preview and take a screenshot of every page, for reviewing the pages by eye.

Usage: python tools/screenshots.py      (PNGs land beside the HTML pages in _proc/)
"""
import sys
from pathlib import Path
import docs_preview as dp

if __name__ == "__main__":
    if not dp.chromium(install=True): sys.exit("Chromium is not installed: `apt-get install chromium` (Debian) first.")
    for page in dp.build(): print(dp.screenshot(page, page.with_suffix(".png")))
