"""Finding the submissions: notebook files, folders of them, or a zip as downloaded
from an LMS. Nothing is extracted to disk, and nothing is read here: each submission's
bytes are read by the child process that grades it (``Submission.read``), so a large
class does not sit in the parent's memory.

Each submission gets a ``label`` (its path as given, plus the path inside a folder or a
zip, with ``!`` after the zip's name), which names it in the gradebook, and a
``student``: the first folder under what was given (LMS downloads with a folder per
student), else the file name without the chapter, LMS numbers and copy suffixes.
"""

import dataclasses
import pathlib
import re
import unicodedata
import zipfile

MAX_BYTES = 50 * 2**20  # a notebook larger than this is not read
NOTEBOOK_SUFFIX = ".ipynb"
SKIPPED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}


@dataclasses.dataclass(eq=False)
class Submission:
    """One notebook to grade: where it came from (a file, or a member of a zip)."""

    label: str
    student: str
    path: pathlib.Path | None
    modified: tuple  # a sortable time stamp, to tell the newest of duplicates
    problem: str | None = None  # why it cannot be read
    member: str | None = None  # the name inside the zip at ``path``

    @property
    def file_name(self):
        """The file's own name, without the folders or the zip around it."""
        return pathlib.PurePosixPath(self.member or self.path.name).name

    def read(self):
        """The submission's bytes (raises OSError or zipfile.BadZipFile)."""
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as archive:
            with archive.open(self.member) as handle:
                data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise OSError("the notebook in the zip is larger than a lab can be")
        return data


def student_from(relative, chapter_names=(), folder=""):
    """Guess the student a submission belongs to from its path inside what was given;
    ``folder`` (the file's folder) names a file called just by its chapter."""
    parts = pathlib.PurePosixPath(relative).parts
    if len(parts) > 1:
        return parts[0]
    stem = pathlib.PurePosixPath(parts[-1]).stem
    stem = re.sub(r"(\s*\(\d+\)|-\d+)$", "", stem)  # "name (1)", Canvas "name-1"
    canvas = re.match(r"^(.+?)_(?:LATE_)?\d+_\d+_", stem)  # Canvas: name_[LATE_]id_id_file
    if canvas:
        return canvas.group(1)
    for chapter in chapter_names:
        stem = stem.replace(chapter, "")
    return stem.strip(" _-") or folder or pathlib.PurePosixPath(parts[-1]).stem


def _skipped(relative):
    parts = pathlib.PurePosixPath(relative).parts
    return any(part in SKIPPED_PARTS or part.startswith("._") for part in parts)


def _from_zip(path, shown, chapter_names):
    submissions = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        return [Submission(shown, pathlib.Path(shown).stem, path, (0,),
                           f"the zip file cannot be opened ({error})")]
    with archive:
        for info in sorted(archive.infolist(), key=lambda info: info.filename):
            inner = info.filename
            if info.is_dir() or not inner.lower().endswith(NOTEBOOK_SUFFIX) or _skipped(inner):
                continue
            label = f"{shown}!{inner}"
            student = student_from(inner, chapter_names)
            problem = ("the notebook in the zip is larger than a lab can be"
                       if info.file_size > MAX_BYTES else None)
            submissions.append(Submission(label, student, path, info.date_time, problem,
                                          member=inner))
    return submissions


def find_submissions(arguments, chapter_names=()):
    """Every submission in ``arguments`` (paths of files, folders or zips), sorted by label.

    Raises:
        FileNotFoundError: an argument that does not exist.
    """
    submissions = []
    for argument in arguments:
        path = pathlib.Path(argument).resolve()  # the child reads it from another folder
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {argument}")
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(path).as_posix()
                if file.is_file() and not _skipped(relative):
                    if file.suffix.lower() == ".zip":
                        submissions += _from_zip(file, f"{argument.rstrip('/')}/{relative}",
                                                 chapter_names)
                    elif file.suffix.lower() == NOTEBOOK_SUFFIX:
                        submissions.append(_from_path(file, f"{argument.rstrip('/')}/"
                                                      f"{relative}", relative, chapter_names))
        elif path.suffix.lower() == ".zip":
            submissions += _from_zip(path, argument, chapter_names)
        else:  # any single file named on the command line is graded, whatever its name
            submissions.append(_from_path(path, argument, path.name, chapter_names))
    return sorted(submissions, key=lambda submission: submission.label)


def _from_path(path, shown, relative, chapter_names):
    size = path.stat().st_size
    problem = (f"the file is {size / 2**20:.0f} MB, larger than a lab can be"
               if size > MAX_BYTES else None)
    return Submission(shown, student_from(relative, chapter_names, path.parent.name), path,
                      (path.stat().st_mtime_ns,), problem)


def safe_name(label):
    """An ASCII file name for ``label`` (accents folded, other characters replaced)."""
    folded = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", folded.replace(NOTEBOOK_SUFFIX, ""))
    return name.strip("._")[-80:] or "submission"
