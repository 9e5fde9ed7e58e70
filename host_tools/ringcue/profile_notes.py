"""What each ring profile covers, in words, for `--help` and the docs' readers.
Host only: on the board these sentences would cost heap. The timings are
ringcue_core.profiles (tests/core/test_clear.py checks both name the same
profiles)."""

COVERS = {
    "universal": "every national cadence, no setting needed",
    "us": "US/Canada 2000/4000 and Bellcore distinctive rings (DR5: 5.5 s off)",
    "uk": "UK/IE/IN/NZ double ring 400/200/400/2000",
    "au": "Australia 400/200/400/2000 and AU distinctive rings",
    "de": "Germany/IT/RU/CN 1000/4000",
    "fr": "France 1500/3500 at 50 Hz",
    "jp": "Japan 1000/2000; ignores 500 ms CAR bursts",
}
