// Two tabs (or an editor and a person with a text editor) saved the same flow: say so, show both,
// and let the person choose. Nothing is lost: taking the disk version keeps theirs on the undo stack.

export interface Conflict {
  mine: string;
  theirs: string | null;
  version: string | null;
}

export function ConflictDialog({ conflict, onOverwrite, onTakeTheirs, onCancel }: {
  conflict: Conflict; onOverwrite: () => void; onTakeTheirs: () => void; onCancel: () => void;
}) {
  return (
    <div className="modal" role="dialog" aria-modal="true" aria-labelledby="conflict-title" data-testid="conflict">
      <div className="modal-box">
        <h2 id="conflict-title">This flow changed on disk since you opened it</h2>
        <p>Someone (another tab, or another editor) saved it meanwhile. Your version was <b>not</b> saved.</p>
        <div className="compare">
          <div><h3>Yours</h3><pre>{conflict.mine}</pre></div>
          <div><h3>On disk now</h3><pre>{conflict.theirs ?? '(the file was deleted)'}</pre></div>
        </div>
        <div className="actions">
          <button onClick={onTakeTheirs} data-testid="conflict-theirs">Load the disk version (yours stays in Undo)</button>
          <button className="danger" onClick={onOverwrite} data-testid="conflict-overwrite">Overwrite with yours</button>
          <button onClick={onCancel} data-testid="conflict-cancel" autoFocus>Cancel</button>
        </div>
      </div>
    </div>
  );
}
