"""The bottom layer of copfactors: helpers every other module may use.

It imports nothing of copfactors but :mod:`copfactors.errors`. Its modules are private: the
public names they hold are re-exported where users look for them (e.g. :mod:`copfactors.parallel`).
"""
