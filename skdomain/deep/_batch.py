"""The batch object that every loss hook of the domain-aware nets receives."""

__all__ = ["DomainBatch"]

_GROUPS = ("source", "target", "source_labeled", "target_labeled")


class DomainBatch:
    r"""The row groups of one training batch, and the tensors the loss hooks share.

    :meth:`DomainNet.get_loss <skdomain.deep.DomainNet.get_loss>` builds one per
    training batch and hands it to :meth:`~skdomain.deep.DomainNet.task_loss` and
    :meth:`~skdomain.deep.DomainNet.adaptation_loss`. It holds, for the batch's rows:

    * host boolean masks ``source_cpu`` (``sample_domain >= 0``), ``target_cpu``
      (``< 0``) and ``labeled_cpu`` (the label is not masked), for indexing on the host;
    * their counts as host ints, ``n_source``, ``n_target``, ``n_source_labeled``,
      ``n_target_labeled`` (no device synchronisation is needed to read them);
    * float masks on the device, ``w_source``, ``w_target``, ``w_source_labeled``,
      ``w_target_labeled`` (1.0 on the group's rows, 0.0 elsewhere), so that a mean over
      a group is ``(values * w).sum() / n`` without indexing on the device
      (:meth:`mean`);
    * ``row_loss``, the per-row task loss :math:`\ell(C(F(x_i)), y_i)` on the device
      (masked rows hold a value computed on a placeholder label: weight them 0);
    * ``cache``, a dict where a method keeps the tensors it computes in one hook and
      reads in another (e.g. the gated DANN's joint discriminator output, computed in
      ``task_loss`` and used in ``adaptation_loss``). It lives as long as the batch.

    Parameters
    ----------
    sample_domain : Tensor of int64, shape (n_rows,)
        Domain ids of the rows, on the host (``>= 0`` source, ``< 0`` target).
    labeled : Tensor of bool, shape (n_rows,)
        Whether each row's label is not masked, on the host.
    device : torch.device or str
        Device of the float masks (that of the batch's outputs).
    dtype : torch.dtype
        Float type of the masks (that of the per-row loss).
    row_loss : Tensor of shape (n_rows,), default=None
        The per-row task loss on ``device``.

    Attributes
    ----------
    sample_domain : Tensor
        The rows' domain ids (host).
    source_cpu, target_cpu, labeled_cpu : Tensor of bool
        Host masks of the source rows, target rows and labeled rows.
    n_source, n_target, n_source_labeled, n_target_labeled : int
        Rows in each group.
    w_source, w_target, w_source_labeled, w_target_labeled : Tensor
        Float masks of the groups on ``device``.
    device : torch.device or str
        Device of the float masks.
    row_loss : Tensor or None
        Per-row task loss.
    cache : dict of str to object
        Per-batch values shared between hooks.

    Examples
    --------
    >>> import torch
    >>> from skdomain.deep import DomainBatch
    >>> sd = torch.tensor([0, 0, -1, -1])
    >>> labeled = torch.tensor([True, True, True, False])
    >>> b = DomainBatch(sd, labeled, "cpu", torch.float32)
    >>> b.n_source, b.n_target, b.n_target_labeled
    (2, 2, 1)
    >>> b.mean(torch.tensor([1.0, 3.0, 5.0, 7.0]), "target")
    tensor(6.)
    """

    def __init__(self, sample_domain, labeled, device, dtype, row_loss=None):
        src = sample_domain >= 0
        tgt = ~src
        self.sample_domain = sample_domain
        self.n_source, self.n_target = int(src.sum()), int(tgt.sum())
        self.n_source_labeled = int((src & labeled).sum())
        self.n_target_labeled = int((tgt & labeled).sum())
        self.source_cpu, self.target_cpu, self.labeled_cpu = src, tgt, labeled

        def put(mask):
            return mask.to(device=device, dtype=dtype, non_blocking=True)

        self.w_source, self.w_target = put(src), put(tgt)
        self.w_source_labeled = put(src & labeled)
        self.w_target_labeled = put(tgt & labeled)
        self.device = device
        self.row_loss = row_loss
        self.cache = {}

    def mean(self, values, group):
        """Mean of per-row ``values`` over the rows of a group (0 when the group has no row).

        Parameters
        ----------
        values : Tensor of shape (n_rows,)
            One value per row of the batch, on the device.
        group : {"source", "target", "source_labeled", "target_labeled"}
            The rows averaged over.

        Returns
        -------
        mean : Tensor
            ``(values * w_group).sum() / max(n_group, 1)``: a scalar tensor that keeps
            the graph (a group without rows gives 0 and no gradient).
        """
        if group not in _GROUPS:
            raise ValueError(f"group must be one of {_GROUPS}; got {group!r}.")
        return (values * getattr(self, f"w_{group}")).sum() / max(getattr(self, f"n_{group}"), 1)

    def __repr__(self):
        return (
            f"DomainBatch(n_source={self.n_source}, n_target={self.n_target}, "
            f"n_source_labeled={self.n_source_labeled}, n_target_labeled={self.n_target_labeled})"
        )
